/**
 * The runtime's fused neuron scans against the shared neuron step of snn/neuron.ts: same
 * spikes and same membranes, step after step, for random plain IF / LIF parameters and
 * currents; and the neurons skipped under a constant current never fire under step().
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { initialState, step, type NeuronParams } from '../src/snn/neuron.js';
import { f32, neuronParams } from './helpers/neuron-params.js';
import { isPlainIf, isPlainNeuron, scanIfRow, scanLifRow, silentUnderConstantCurrent } from '../src/runtime/neuron-scan.js';

const params = neuronParams;

it('scans give the spikes and membranes of step(), step after step', () => {
  fc.assert(
    fc.property(params, fc.array(f32(-1, 1.5), { minLength: 7 * 5, maxLength: 7 * 5 }), f32(0, 0.99), (p, z, v0) => {
      const n = 7;
      const ref = initialState(n, v0 * p.vThreshold);
      const fast = { v: new Float32Array(ref.v), refractory: new Int32Array(n), counts: new Int32Array(n), events: new Int32Array(n) };
      const zs = Float32Array.from(z);
      const out = new Float32Array(n);
      const scan = isPlainIf(p) ? scanIfRow : scanLifRow;
      for (let t = 0; t < 5; t++) {
        step(p, ref, zs, t * n, out, 0, n);
        const e = scan(p, { z: zs, ...fast }, { zOffset: t * n, stateOffset: 0 }, n, 0);
        const fired = Array.from(fast.events.subarray(0, e));
        expect(fired).toEqual([...out.keys()].filter((i) => out[i] === 1));
        expect(Array.from(fast.v)).toEqual(Array.from(ref.v));
        expect(Array.from(fast.refractory)).toEqual(Array.from(ref.refractory));
      }
    }),
    { numRuns: 300, seed: 6 },
  );
});

it('a neuron judged silent under a constant current never fires under step()', () => {
  fc.assert(
    fc.property(params, f32(-1, 0.5), f32(-1, 0.999), (p, z, v0) => {
      const v = Math.fround(v0 * p.vThreshold);
      fc.pre(silentUnderConstantCurrent(p, v, z));
      const state = initialState(1, v);
      const out = new Float32Array(1);
      for (let t = 0; t < 200; t++) expect(step(p, state, Float32Array.of(z), 0, out, 0, 1)).toBe(0);
    }),
    { numRuns: 300, seed: 7 },
  );
});

it('the scans apply only to the plain neuron parameters they know', () => {
  const plain: NeuronParams = { decay: 1, gain: 1, vRest: 0, vThreshold: 1, vReset: 0, reset: 'subtract', tRefSteps: 0 };
  expect(isPlainNeuron(plain)).toBe(true);
  expect(isPlainNeuron({ ...plain, timing: 'step' })).toBe(true);
  expect(isPlainNeuron({ ...plain, noiseStd: 0.1 })).toBe(false);
  expect(isPlainNeuron({ ...plain, timing: 'exact' })).toBe(false);
  expect(isPlainNeuron({ ...plain, adaptation: { decay: 0.9, increment: 0.1, vReversal: -1 } })).toBe(false);
  expect(isPlainNeuron({ ...plain, somethingNew: 1 } as NeuronParams)).toBe(false);
});
