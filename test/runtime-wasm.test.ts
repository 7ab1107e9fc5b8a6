/**
 * The WebAssembly SIMD neuron scans (wasm/kernels.ts) against the shared neuron step of
 * snn/neuron.ts: the same spikes, membranes and refractory counters step after step, for
 * random plain IF / LIF parameters and currents, on rows whose length exercises both the
 * four-lane body and the scalar tail; and a hand-computed case where comparing the membrane
 * in float32 instead of double precision would fire one step early.
 */
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { initialState, step, type NeuronParams } from '../src/snn/neuron.js';
import { f32, neuronParams } from './helpers/neuron-params.js';
import { expectChunkScanEqualsStep } from './helpers/chunk-scan.js';
import { isPlainIf } from '../src/runtime/neuron-scan.js';
import { KernelArena, wasmAvailable } from '../src/runtime/wasm/module.js';

const params = neuronParams;

/** The wasm scan of `n` neurons over rows of z, with the state in an arena. */
function wasmScanner(p: NeuronParams, n: number, v0: Float32Array) {
  const arena = KernelArena.create()!;
  arena.layout({ z: n * 4, v: n * 4, refractory: n * 4, counts: n * 4, events: n * 4 });
  arena.f32('v', n).set(v0);
  const k = arena.exports;
  const drop = p.vThreshold - p.vReset;
  const subtract = p.reset === 'subtract' ? 1 : 0;
  return {
    step(z: Float32Array): number[] {
      arena.f32('z', n).set(z);
      const [zAt, vAt, refAt, countsAt, eventsAt] = ['z', 'v', 'refractory', 'counts', 'events'].map((r) => arena.at(r)) as [number, number, number, number, number];
      const e = isPlainIf(p)
        ? k.scanIf(zAt, vAt, countsAt, eventsAt, n, p.vThreshold, drop, subtract, p.vReset)
        : k.scanLif(zAt, vAt, refAt, countsAt, eventsAt, n, p.decay, p.gain, p.vRest, p.vThreshold, drop, subtract, p.vReset, p.tRefSteps);
      return Array.from(arena.i32('events', e));
    },
    v: () => Array.from(arena.f32('v', n)),
    refractory: () => Array.from(arena.i32('refractory', n)),
    counts: () => Array.from(arena.i32('counts', n)),
  };
}

beforeAll(() => {
  expect(wasmAvailable(), 'dist/wasm/kernels.wasm is built by npm run build:wasm').toBe(true);
});

it('wasm scans give the spikes, membranes and refractory steps of step(), step after step', () => {
  const n = 11;
  const T = 6;
  fc.assert(
    fc.property(params, fc.array(f32(-1, 1.5), { minLength: n * T, maxLength: n * T }), fc.array(f32(0, 0.99), { minLength: n, maxLength: n }), (p, z, v0) => {
      const ref = initialState(n, 0);
      ref.v.set(v0.map((f) => f * p.vThreshold));
      const wasm = wasmScanner(p, n, ref.v);
      const zs = Float32Array.from(z);
      const out = new Float32Array(n);
      const counts = new Array<number>(n).fill(0);
      for (let t = 0; t < T; t++) {
        step(p, ref, zs, t * n, out, 0, n);
        const fired = [...out.keys()].filter((i) => out[i] === 1);
        for (const i of fired) counts[i]!++;
        expect(wasm.step(zs.subarray(t * n, (t + 1) * n))).toEqual(fired);
        expect(wasm.v()).toEqual(Array.from(ref.v));
        expect(wasm.refractory()).toEqual(Array.from(ref.refractory));
      }
      expect(wasm.counts()).toEqual(counts);
    }),
    { numRuns: 400, seed: 11 },
  );
});

it('compares the membrane with the threshold in double precision, as step() does', () => {
  // v + z = 1 - 2^-25 < 1 in double: no spike; stored in float32 it rounds to 1.0, which
  // fires at the next step (with z = 0). A float32 comparison would fire at the first step.
  const p: NeuronParams = { decay: 1, gain: 1, vRest: 0, vThreshold: 1, vReset: 0, reset: 'subtract', tRefSteps: 0 };
  const n = 5;
  const wasm = wasmScanner(p, n, new Float32Array(n).fill(0.5));
  const z1 = new Float32Array(n).fill(0.5 - 2 ** -25);
  expect(wasm.step(z1)).toEqual([]);
  expect(wasm.v()).toEqual(new Array(n).fill(1));
  expect(wasm.step(new Float32Array(n))).toEqual([0, 1, 2, 3, 4]);
  expect(wasm.v()).toEqual(new Array(n).fill(0));
});

it('the constant-current IF scan over a chunk gives the spikes and counts of step(), step after step', () => {
  // n = 11 neurons: two groups of four and a scalar tail; steps = 7.
  const n = 11;
  const steps = 7;
  const ifParams = fc
    .record({ reset: fc.constantFrom('subtract', 'zero') as fc.Arbitrary<'subtract' | 'zero'>, vThreshold: f32(0.25, 2) })
    .map(({ reset, vThreshold }): NeuronParams => ({ decay: 1, gain: 1, vRest: 0, vThreshold, vReset: 0, reset, tRefSteps: 0 }));
  fc.assert(
    fc.property(ifParams, fc.array(f32(-1, 1.5), { minLength: n, maxLength: n }), fc.array(f32(-0.5, 1.2), { minLength: n, maxLength: n }), (p, z, v0) => {
      const ref = initialState(n, 0);
      ref.v.set(v0.map((f) => f * p.vThreshold));
      const zs = Float32Array.from(z);
      const arena = KernelArena.create()!;
      arena.layout({ z: n * 4, v: n * 4, counts: n * 4, events: steps * n * 4, eventCounts: steps * 4, active: n * 4 });
      arena.f32('z', n).set(zs);
      arena.f32('v', n).set(ref.v);
      const at = (r: string) => arena.at(r);
      const total = arena.exports.scanIfSteps(at('z'), at('v'), at('counts'), at('events'), at('eventCounts'), n, n, steps, p.vThreshold, p.vThreshold - p.vReset, p.reset === 'subtract' ? 1 : 0, p.vReset, at('active'));
      // Two groups of four below 8; the tail of three alone.
      expectChunkScanEqualsStep(arena, p, ref, zs, total, steps, 8);
    }),
    { numRuns: 400, seed: 12 },
  );
});
