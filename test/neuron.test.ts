/**
 * The IF neuron step against hand-computed voltage sequences and the closed form of its spike
 * count under constant input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ifParams, initialState, step, type NeuronParams } from '../src/snn/neuron.js';

/** Runs one neuron for the given inputs; returns the membrane after each step and the spikes. */
function trace(p: NeuronParams, inputs: number[], v0 = 0): { v: number[]; spikes: number[] } {
  const state = initialState(1, v0);
  const out = new Float32Array(1);
  const v: number[] = [];
  const spikes: number[] = [];
  for (const z of inputs) {
    step(p, state, Float32Array.of(z), 0, out, 0, 1);
    v.push(Number(state.v[0]!.toFixed(6)));
    spikes.push(out[0]!);
  }
  return { v, spikes };
}

describe('IF neuron, hand-computed sequences', () => {
  it('reset by subtraction keeps the surplus', () => {
    // v: 0.4, 0.8, 1.2 -> spike, 0.2; 0.6; 1.0 -> spike, 0.0; 0.4
    const r = trace(ifParams('subtract', 0), [0.4, 0.4, 0.4, 0.4, 0.4, 0.4]);
    expect(r.v).toEqual([0.4, 0.8, 0.2, 0.6, 0, 0.4]);
    expect(r.spikes).toEqual([0, 0, 1, 0, 1, 0]);
  });

  it('reset to zero drops the surplus', () => {
    // v: 0.7, 1.4 -> spike, 0; 0.7; 1.4 -> spike, 0
    const r = trace(ifParams('zero', 0), [0.7, 0.7, 0.7, 0.7]);
    expect(r.v).toEqual([0.7, 0, 0.7, 0]);
    expect(r.spikes).toEqual([0, 1, 0, 1]);
  });

  it('a refractory period of k steps holds the membrane for k steps after a spike', () => {
    // k = 2, input 0.6, v(0) = 0.5: 1.1 -> spike, 0.1; hold; hold; 0.7; 1.3 -> spike, 0.3; hold; hold
    const r = trace(ifParams('subtract', 2), [0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6], 0.5);
    expect(r.spikes).toEqual([1, 0, 0, 0, 1, 0, 0]);
    expect(r.v).toEqual([0.1, 0.1, 0.1, 0.7, 0.3, 0.3, 0.3]);
  });

  it('negative input lowers the membrane below zero (no floor)', () => {
    const r = trace(ifParams('subtract', 0), [0.5, -0.8, 0.6, 0.9]);
    expect(r.v).toEqual([0.5, -0.3, 0.3, 0.2]);
    expect(r.spikes).toEqual([0, 0, 0, 1]);
  });
});

describe('IF neuron, constant input', () => {
  it('with reset by subtraction, spikes over T steps = floor((T z + v0) / theta), clipped to 0..T', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: -0.5, max: 1.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.25, max: 4, noNaN: true }),
        (T, zOverTheta, vInitFraction, theta) => {
          const z = Math.fround(zOverTheta * theta);
          const v0 = Math.fround(vInitFraction * theta);
          const p = ifParams('subtract', 0, theta);
          const state = initialState(1, v0);
          const out = new Float32Array(1);
          let count = 0;
          for (let t = 0; t < T; t++) count += step(p, state, Float32Array.of(z), 0, out, 0, 1);
          const exact = (T * z + v0) / theta;
          const expected = Math.min(T, Math.max(0, Math.floor(exact)));
          // float32 accumulation may land on the other side of an integer boundary.
          if (Math.abs(exact - Math.round(exact)) < 1e-3 && count !== expected) return Math.abs(count - expected) <= 1;
          return count === expected;
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('a refractory period of k steps caps the rate at 1 / (k + 1)', () => {
    for (const k of [0, 1, 2, 3, 7]) {
      const p = ifParams('subtract', k);
      const state = initialState(1, 0);
      const out = new Float32Array(1);
      let count = 0;
      const T = 840;
      for (let t = 0; t < T; t++) count += step(p, state, Float32Array.of(5), 0, out, 0, 1);
      expect(count).toBe(T / (k + 1));
    }
  });

  it('below saturation with refractory period k, the rate is z / (theta + k z)', () => {
    // Each cycle: theta / z steps of integration (on average) plus k held steps.
    for (const [k, z] of [[1, 0.25], [2, 0.2], [3, 0.1]] as const) {
      const p = ifParams('subtract', k);
      const state = initialState(1, 0);
      const out = new Float32Array(1);
      let count = 0;
      const T = 100_000;
      for (let t = 0; t < T; t++) count += step(p, state, Float32Array.of(z), 0, out, 0, 1);
      expect(count / T).toBeCloseTo(z / (1 + k * z), 3);
    }
  });
});
