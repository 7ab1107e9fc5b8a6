/**
 * The shape of a converted network's manifest (.snn.json), as data: every field's expected
 * kind, and per IR op the fields its nodes carry. loadSnn checks a manifest against it before
 * using any field, so a hand-edited or corrupt manifest is refused with one line naming the
 * field (e.g. "snn.nodes[3].strides: expected [int >= 1, int >= 1], got [0,1]") instead of
 * failing somewhere inside the runtime. Unknown extra fields are ignored.
 */
import { UserError } from '../errors.js';
import type { OpName } from '../ir/graph.js';

/** Checks `value` found at `path`; returns a problem or null. */
export type Rule = (value: unknown, path: string) => string | null;

function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const fail = (path: string, expected: string, value: unknown): string => `${path}: expected ${expected}, got ${show(value)}`;

export const str: Rule = (v, p) => (typeof v === 'string' ? null : fail(p, 'a string', v));
export const bool: Rule = (v, p) => (typeof v === 'boolean' ? null : fail(p, 'true or false', v));

export function num(opts: { min?: number; max?: number; above?: number; integer?: boolean } = {}): Rule {
  const parts = [opts.integer ? 'an integer' : 'a finite number'];
  if (opts.min !== undefined) parts.push(`>= ${opts.min}`);
  if (opts.above !== undefined) parts.push(`> ${opts.above}`);
  if (opts.max !== undefined) parts.push(`<= ${opts.max}`);
  const expected = parts.join(' ');
  return (v, p) => {
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!opts.integer || Number.isSafeInteger(v)) &&
      (opts.min === undefined || v >= opts.min) &&
      (opts.above === undefined || v > opts.above) &&
      (opts.max === undefined || v <= opts.max);
    return ok ? null : fail(p, expected, v);
  };
}

export function oneOf(...choices: string[]): Rule {
  return (v, p) => (typeof v === 'string' && choices.includes(v) ? null : fail(p, `one of ${choices.join(', ')}`, v));
}

export function nullable(rule: Rule): Rule {
  return (v, p) => (v === null ? null : rule(v, p));
}

export function arrayOf(item: Rule, length?: { min?: number; exactly?: number }): Rule {
  return (v, p) => {
    if (!Array.isArray(v)) return fail(p, 'an array', v);
    if (length?.exactly !== undefined && v.length !== length.exactly) return fail(p, `${length.exactly} values`, v);
    if (length?.min !== undefined && v.length < length.min) return fail(p, `at least ${length.min} values`, v);
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${p}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
}

/** An object with these fields; a key ending in '?' is optional. */
export function object(fields: Record<string, Rule>): Rule {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'an object', v);
    const o = v as Record<string, unknown>;
    for (const [key, rule] of Object.entries(fields)) {
      const optional = key.endsWith('?');
      const name = optional ? key.slice(0, -1) : key;
      if (!Object.hasOwn(o, name) || o[name] === undefined) {
        if (optional) continue;
        return `${p}.${name}: missing`;
      }
      const problem = rule(o[name], `${p}.${name}`);
      if (problem) return problem;
    }
    return null;
  };
}

const finite = num();
const size = num({ integer: true, min: 1 });
const count = num({ integer: true, min: 0 });
const pair = arrayOf(size, { exactly: 2 });
const pads = arrayOf(count, { exactly: 4 });

/** A tensor stored in the weights file: { dims, offset, length } in float32 elements. */
export const TENSOR_REF = object({ dims: arrayOf(count), offset: count, length: count });

const neuron = object({
  model: oneOf('if', 'lif'),
  vThreshold: num({ above: 0 }),
  vReset: finite,
  reset: oneOf('subtract', 'zero'),
  vInitFraction: finite,
  'vInitRandom?': bool,
  'predistort?': bool,
  tRefSteps: num({ integer: true, min: 0, max: 1_000_000 }),
  'tauSteps?': num({ above: 0 }),
});

const pool = { kernel: pair, strides: pair, pads, ceilMode: bool, countIncludePad: bool };

/** Fields of each IR op besides name, op, inputs and output; the type makes a new op a compile error here. */
export const NODE_FIELDS: Record<OpName, Record<string, Rule>> = {
  conv: { weight: TENSOR_REF, bias: TENSOR_REF, strides: pair, pads, dilations: pair, group: size },
  dense: { weight: TENSOR_REF, bias: TENSOR_REF },
  affine: { scale: TENSOR_REF, shift: TENSOR_REF },
  relu: { 'ceiling?': num({ above: 0 }) },
  maxpool: pool,
  avgpool: pool,
  globalavgpool: {},
  flatten: {},
  add: {},
  concat: {},
  spike: { neuron, lambda: arrayOf(finite, { min: 1 }), 'vInitShift?': arrayOf(finite, { min: 1 }) },
};

const node: Rule = (v, p) => {
  const base = object({ name: str, op: oneOf(...Object.keys(NODE_FIELDS)), inputs: arrayOf(str), output: str })(v, p);
  if (base) return base;
  return object(NODE_FIELDS[(v as { op: OpName }).op])(v, p);
};

const graph = object({
  name: str,
  input: object({ name: str, shape: arrayOf(size, { min: 1 }) }),
  output: str,
  nodes: arrayOf(node),
});

export const MANIFEST = object({
  source: object({ model: str, sha256: str }),
  preprocess: object({ scale: finite, mean: arrayOf(finite, { min: 1 }), std: arrayOf(finite, { min: 1 }) }),
  conversion: object({
    percentile: num({ min: 0, max: 100 }),
    channelwise: bool,
    calibSamples: count,
    calibData: str,
    reset: oneOf('subtract', 'zero'),
    tRefSteps: num({ integer: true, min: 0, max: 1_000_000 }),
    vInitFraction: finite,
    neuron: oneOf('if', 'lif'),
    'tauSteps?': num({ above: 0 }),
    // Settings added after schemaVersion 1 was first written: older manifests lack them.
    'vInitRandom?': bool,
    'predistort?': bool,
    'readout?': oneOf('membrane', 'spikes'),
    'maxpool?': oneOf('spiking', 'avg'),
    'percentileAuto?': bool,
    'percentileFit?': bool,
    'percentileSearch?': arrayOf(object({ percentile: finite, accuracy: finite })),
    'vInitAuto?': bool,
    'vInitSearch?': arrayOf(object({ vInit: oneOf('0.5', 'random'), accuracy: finite })),
    'calibrate?': oneOf('none', 'bias', 'potential'),
    'calibTimesteps?': num({ integer: true, min: 1 }),
  }),
  calibration: arrayOf(
    object({ layer: str, lambda: arrayOf(finite), clippedFraction: finite, 'max?': nullable(finite), 'activeFraction?': finite }),
  ),
  snn: graph,
  ann: graph,
  weights: object({ file: str, bytes: count, sha256: str }),
});

/** Throws a user error naming `file` and the first field that does not match `rule`. */
export function checkManifest(manifest: unknown, file: string): void {
  const problem = MANIFEST(manifest, 'manifest');
  if (problem) throw new UserError(`${file}: ${problem.replace(/^manifest\./, '')}`);
}
