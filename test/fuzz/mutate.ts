/**
 * Mutations of valid input files for the fuzz suite, as fast-check arbitraries: each case is
 * a plain description (printable and shrinkable when a property fails) applied to a copy of a
 * valid file. Positions and indices are taken modulo what the file holds.
 *   bytes:  truncation, bit flips, byte overwrites, inserted / deleted runs
 *   json:   a field replaced by a value of another kind, a number changed, a key deleted
 */
import fc from 'fast-check';

/** Integers that break sizes: zero, one-off, sign, 2^31 / 2^32 / 2^53 boundaries and beyond. */
export const interestingInt = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 3, 255, 256, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 53 - 1, 2 ** 62, -(2 ** 31), -(2 ** 63)),
  fc.integer({ min: -4, max: 64 }),
);

export const interestingFloat = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 1e-45, 1e-30, 1e30, 3.5e38, Number.MAX_VALUE, NaN, Infinity, -Infinity),
  fc.double(),
);

export type ByteMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: { at: number; bit: number }[] }
  | { kind: 'set'; bytes: { at: number; value: number }[] }
  | { kind: 'insert'; at: number; run: number[] }
  | { kind: 'delete'; at: number; length: number };

const position = fc.nat({ max: 1 << 24 });

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('flip' as const),
    bits: fc.array(fc.record({ at: position, bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    bytes: fc.array(fc.record({ at: position, value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x08, 0x1f, 0x8b) }), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: position, run: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
);

/**
 * Applies a byte mutation to a copy of `src` (never to `src` itself; note that a Buffer's
 * slice() is a view, hence the explicit copies).
 */
export function mutateBytes(src: Uint8Array, m: ByteMutation): Uint8Array {
  const n = src.length;
  switch (m.kind) {
    case 'truncate':
      return new Uint8Array(src.subarray(0, m.at % n));
    case 'flip': {
      const out = new Uint8Array(src);
      for (const b of m.bits) out[b.at % n]! ^= 1 << b.bit;
      return out;
    }
    case 'set': {
      const out = new Uint8Array(src);
      for (const b of m.bytes) out[b.at % n] = b.value;
      return out;
    }
    case 'insert': {
      const at = m.at % (n + 1);
      return Uint8Array.from([...src.subarray(0, at), ...m.run, ...src.subarray(at)]);
    }
    case 'delete': {
      const at = m.at % n;
      return Uint8Array.from([...src.subarray(0, at), ...src.subarray(at + m.length)]);
    }
  }
}

/** Replacement values for JSON fields: other kinds, broken numbers, huge or empty containers. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  interestingInt,
  fc.constantFrom(null, true, false, '', '..', '../../etc/passwd', '/etc/passwd', 'https://example.com/w.bin', 'x'.repeat(300), [], {}, [1], [[]], { offset: 0 }),
  fc.constantFrom(1.5, -0.5, 1e308, -1e308),
  fc.string({ maxLength: 8 }),
  fc.array(interestingInt, { maxLength: 5 }),
);

export type JsonMutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'nudge'; at: number; delta: number }
  | { kind: 'delete'; at: number };

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: jsonValue }),
  fc.record({ kind: fc.constant('nudge' as const), at: fc.nat(), delta: fc.constantFrom(-1, 1, 2, -2, 1000, 0.5, 2 ** 31) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every field (object member or array element) of a JSON value, depth first. */
function slotsOf(value: unknown, out: Slot[] = []): Slot[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i });
      slotsOf(v, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value as Record<string, unknown>, key: k });
      slotsOf(v, out);
    }
  }
  return out;
}

/** Applies JSON mutations to a deep copy of `doc`; `nudge` picks among numeric fields only. */
export function mutateJson(doc: unknown, mutations: readonly JsonMutation[]): unknown {
  const copy = structuredClone(doc);
  for (const m of mutations) {
    const slots = slotsOf(copy);
    const pool = m.kind === 'nudge' ? slots.filter((s) => typeof (s.parent as Record<string | number, unknown>)[s.key] === 'number') : slots;
    if (pool.length === 0) continue;
    const { parent, key } = pool[m.at % pool.length]!;
    const p = parent as Record<string | number, unknown>;
    if (m.kind === 'replace') p[key] = structuredClone(m.value);
    else if (m.kind === 'nudge') p[key] = (p[key] as number) + m.delta;
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete p[key];
  }
  return copy;
}
