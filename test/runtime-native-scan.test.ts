/**
 * The native IF scans and spike pooling (native/scan.c, on the WebAssembly kernels' memory)
 * against the shared neuron step of snn/neuron.ts and a hand-written average pool: the same
 * spikes, events, counts and membranes step after step, for random IF parameters and
 * currents on rows whose length exercises the 16-neuron body, groups of four and the scalar
 * tail; the constant-current scan over a chunk, with the groups that can never fire skipped;
 * and a hand-computed case where a float32 comparison would fire one step early.
 * Skipped with SNNC_NATIVE=0 or without a C compiler (runtime-wasm.test.ts covers the fallback).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, step, type NeuronParams } from '../src/snn/neuron.js';
import { f32 } from './helpers/neuron-params.js';
import { expectChunkScanEqualsStep } from './helpers/chunk-scan.js';
import { nativeKernels } from '../src/runtime/native/addon.js';
import { scansOf } from '../src/runtime/native/scans.js';
import { KernelArena } from '../src/runtime/wasm/module.js';

const ifParams = fc
  .record({ reset: fc.constantFrom('subtract', 'zero') as fc.Arbitrary<'subtract' | 'zero'>, vThreshold: f32(0.25, 2), vReset: f32(-0.5, 0.2) })
  .map(({ reset, vThreshold, vReset }): NeuronParams => ({ decay: 1, gain: 1, vRest: 0, vThreshold, vReset, reset, tRefSteps: 0 }));

function nativeArena(regions: Record<string, number>) {
  const arena = KernelArena.create()!;
  arena.layout(regions);
  const scans = scansOf(arena);
  expect(scans.kind).toBe('native');
  return { arena, scans, at: (r: string) => arena.at(r) };
}

describe.skipIf(nativeKernels() === null)('native scans', () => {
  it('the IF scan gives the spikes, events, counts and membranes of step(), step after step', () => {
    const n = 37;
    const T = 5;
    fc.assert(
      fc.property(ifParams, fc.array(f32(-1, 1.5), { minLength: n * T, maxLength: n * T }), fc.array(f32(0, 0.99), { minLength: n, maxLength: n }), (p, z, v0) => {
        const ref = initialState(n, 0);
        ref.v.set(v0.map((f) => f * p.vThreshold));
        const { arena, scans, at } = nativeArena({ z: n * 4, v: n * 4, counts: n * 4, events: n * 4 });
        arena.f32('v', n).set(ref.v);
        const zs = Float32Array.from(z);
        const out = new Float32Array(n);
        const counts = new Array<number>(n).fill(0);
        for (let t = 0; t < T; t++) {
          arena.f32('z', n).set(zs.subarray(t * n, (t + 1) * n));
          const e = scans.scanIf(at('z'), at('v'), at('counts'), at('events'), n, p.vThreshold, p.vThreshold - p.vReset, p.reset === 'subtract' ? 1 : 0, p.vReset);
          step(p, ref, zs, t * n, out, 0, n);
          const fired = [...out.keys()].filter((i) => out[i] === 1);
          for (const i of fired) counts[i]!++;
          expect(Array.from(arena.i32('events', e))).toEqual(fired);
          expect(Array.from(arena.f32('v', n))).toEqual(Array.from(ref.v));
        }
        expect(Array.from(arena.i32('counts', n))).toEqual(counts);
      }),
      { numRuns: 300, seed: 21 },
    );
  });

  it('compares the membrane with the threshold in double precision, as step() does', () => {
    // v + z = 1 - 2^-25 < 1 in double: no spike; stored in float32 it rounds to 1.0, which
    // fires at the next step (with z = 0). A float32 comparison would fire at the first step.
    const n = 18;
    const { arena, scans, at } = nativeArena({ z: n * 4, v: n * 4, counts: n * 4, events: n * 4 });
    arena.f32('v', n).fill(0.5);
    arena.f32('z', n).fill(0.5 - 2 ** -25);
    expect(scans.scanIf(at('z'), at('v'), at('counts'), at('events'), n, 1, 1, 1, 0)).toBe(0);
    expect(Array.from(arena.f32('v', n))).toEqual(new Array(n).fill(1));
    arena.f32('z', n).fill(0);
    expect(scans.scanIf(at('z'), at('v'), at('counts'), at('events'), n, 1, 1, 1, 0)).toBe(n);
    expect(Array.from(arena.i32('events', n))).toEqual([...Array(n).keys()]);
    expect(Array.from(arena.f32('v', n))).toEqual(new Array(n).fill(0));
  });

  it('the constant-current IF scan over a chunk gives the spikes and counts of step(), step after step', () => {
    // n = 43: two blocks of 16, two groups of four in a partial block, a tail of three; 6 steps.
    const n = 43;
    const steps = 6;
    fc.assert(
      fc.property(ifParams, fc.array(f32(-1, 1.5), { minLength: n, maxLength: n }), fc.array(f32(-0.5, 1.2), { minLength: n, maxLength: n }), (p, z, v0) => {
        const ref = initialState(n, 0);
        ref.v.set(v0.map((f) => f * p.vThreshold));
        const zs = Float32Array.from(z);
        const { arena, scans, at } = nativeArena({ z: n * 4, v: n * 4, counts: n * 4, events: steps * n * 4, eventCounts: steps * 4, active: n * 4 });
        arena.f32('z', n).set(zs);
        arena.f32('v', n).set(ref.v);
        const total = scans.scanIfSteps(at('z'), at('v'), at('counts'), at('events'), at('eventCounts'), n, n, steps, p.vThreshold, p.vThreshold - p.vReset, p.reset === 'subtract' ? 1 : 0, p.vReset, at('active'));
        // Groups of four below 40 (two blocks of 16, two groups of four); the tail of three alone.
        expectChunkScanEqualsStep(arena, p, ref, zs, total, steps, 40);
      }),
      { numRuns: 300, seed: 22 },
    );
  });

  it('pools spikes into their windows: the window sums divided by the divisor, the non-zero outputs counted', () => {
    // 2x2 windows over a 4x4 plane (outputs 0..3); neuron 16 lies in no window.
    const window = Int32Array.from({ length: 17 }, (_, i) => (i === 16 ? -1 : (Math.floor(i / 8) * 2 + Math.floor((i % 4) / 2)) | 0));
    const events = Int32Array.of(0, 1, 5, 6, 15, 16);
    const { arena, scans, at } = nativeArena({ events: 17 * 4, window: 17 * 4, pooled: 4 * 4, touched: 4 * 4 });
    arena.i32('events', 6).set(events);
    arena.i32('window', 17).set(window);
    arena.f32('pooled', 4).fill(7);
    const nonZero = scans.poolSpikes(at('events'), 6, at('window'), 17, at('pooled'), 4, 4, at('touched'));
    // Windows: {0, 1, 4, 5} -> 0, {2, 3, 6, 7} -> 1, {8, 9, 12, 13} -> 2, {10, 11, 14, 15} -> 3.
    expect(Array.from(arena.f32('pooled', 4))).toEqual([3 / 4, 1 / 4, 0, 1 / 4]);
    expect(nonZero).toBe(3);
    expect(() => scans.poolSpikes(at('events'), 6, at('window'), 16, at('pooled'), 4, 4, at('touched'))).toThrow(/outside the pooling windows/);
  });

  it('refuses regions outside the kernels memory', () => {
    const { scans, arena } = nativeArena({ z: 64 });
    expect(() => scans.scanIf(arena.buffer.byteLength - 8, 0, 0, 0, 16, 1, 1, 1, 0)).toThrow(/outside the kernels' memory/);
  });
});
