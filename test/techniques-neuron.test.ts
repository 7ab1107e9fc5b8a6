/**
 * Conversion techniques at the level of one neuron or one input, against closed forms:
 * Poisson input, random v(0), refractory pre-distortion, LIF rate and leak compensation.
 */
import { describe, expect, it } from 'vitest';
import type { SpikeNode } from '../src/ir/graph.js';
import { PoissonSpikes } from '../src/runtime/encoders.js';
import { NeuronLayer } from '../src/runtime/neuron-layer.js';
import { DEFAULT_RUNTIME } from '../src/runtime/settings.js';
import { fillInitialPotential } from '../src/snn/initial-potential.js';
import { fromLayerParams } from '../src/snn/layer.js';
import { lifRate } from '../src/snn/lif-rate.js';
import { ifParams, initialState, step, type NeuronParams } from '../src/snn/neuron.js';
import { predistort, predistortValue, RunningPredistortion } from '../src/snn/predistort.js';
import { fitLeakCompensation } from '../src/passes/compensate-leak.js';

/** Spikes of one neuron under a constant current over T steps. */
function count(p: NeuronParams, z: number, T: number, v0 = 0): number {
  const state = initialState(1, v0);
  const out = new Float32Array(1);
  let n = 0;
  for (let t = 0; t < T; t++) n += step(p, state, Float32Array.of(z), 0, out, 0, 1);
  return n;
}

describe('Poisson input', () => {
  const x = Float32Array.of(0, 0.1, 0.5, -0.3, 0.9, 1);
  const run = (seed: number, T: number) => {
    const enc = new PoissonSpikes(1, seed);
    enc.begin(x, 1, 0);
    return enc.run({ batch: 1, t0: 0, steps: T, timesteps: T }).data.slice();
  };

  it('is reproducible for a seed and differs across seeds', () => {
    expect(run(5, 64)).toEqual(run(5, 64));
    expect(run(5, 64)).not.toEqual(run(6, 64));
  });

  it('has mean x per step: rate |x|, amplitude sign(x) (within 4 binomial standard deviations)', () => {
    const T = 20000;
    const s = run(1, T);
    x.forEach((xi, i) => {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += s[t * x.length + i]!;
      const p = Math.abs(xi);
      expect(Math.abs(sum / T - xi)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / T) + 1e-12);
    });
  });

  it('gives the same spikes whatever the chunking (draws are keyed by step)', () => {
    const enc = new PoissonSpikes(1, 3);
    enc.begin(x, 1, 0);
    const whole = enc.run({ batch: 1, t0: 0, steps: 10, timesteps: 10 }).data.slice();
    const second = enc.run({ batch: 1, t0: 4, steps: 6, timesteps: 10 }).data.slice();
    expect(Array.from(second)).toEqual(Array.from(whole.subarray(4 * x.length)));
  });
});

describe('random v(0)', () => {
  const node = (vInitRandom: boolean): SpikeNode => ({
    name: 's',
    op: 'spike',
    inputs: ['x'],
    output: 's',
    lambda: [1],
    neuron: { model: 'if', vThreshold: 1, vReset: 0, reset: 'subtract', vInitFraction: 0.5, tRefSteps: 0, ...(vInitRandom ? { vInitRandom } : {}) },
  });

  it('draws v(0) uniformly in [0, theta), reproducibly, independent of the batch split', () => {
    const a = new Float32Array(2000);
    fillInitialPotential(a, node(true), 2, 9, 3, 0);
    const b = new Float32Array(1000);
    fillInitialPotential(b, node(true), 1, 9, 3, 1);
    expect(Array.from(b)).toEqual(Array.from(a.subarray(1000)));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    expect(a.reduce((s, v) => s + v, 0) / a.length).toBeCloseTo(0.5, 1);
  });

  it('makes spike counts under constant input unbiased: mean of floor(T z + U) is T z', () => {
    const n = 4000;
    const v0 = new Float32Array(n);
    fillInitialPotential(v0, node(true), 1, 1, 0, 0);
    for (const [z, T] of [[0.3, 5], [0.37, 8], [0.71, 3]] as const) {
      let total = 0;
      for (let i = 0; i < n; i++) {
        const c = count(ifParams('subtract', 0), z, T, v0[i]!);
        expect(c).toBe(Math.floor(T * z + v0[i]!));
        total += c;
      }
      // floor(Tz + U) takes two values; its sd is below 0.5, the mean's below 0.5 / sqrt(n).
      expect(Math.abs(total / n - T * z)).toBeLessThan(4 * (0.5 / Math.sqrt(n)));
    }
  });
});

describe('refractory pre-distortion', () => {
  it('without it the rate is z / (theta + k z); with it the rate is the intended r, up to r_max', () => {
    const T = 60000;
    for (const k of [1, 2, 3]) {
      const p = ifParams('subtract', k);
      for (const r of [0.05, 0.1, 0.2, 0.24]) {
        if (r >= 1 / (k + 1)) continue;
        expect(count(p, r, T) / T).toBeCloseTo(r / (1 + k * r), 3);
        const z = predistort(Float32Array.of(r), 1, k)[0]!;
        expect(z).toBeCloseTo(r / (1 - k * r), 6);
        expect(count(p, z, T) / T).toBeCloseTo(r, 3);
      }
      // At and above r_max the neuron fires once every k + 1 steps.
      expect(count(p, predistort(Float32Array.of(0.9), 1, k)[0]!, T) / T).toBeCloseTo(1 / (k + 1), 3);
    }
  });
});

/** The pre-distortion map by hand (θ = 1): z / (1 - k z) below r_max = 1 / (k + 1), then shifted to stay continuous. */
const fByHand = (z: number, k: number): number => (z <= 0 ? z : z < 1 / (k + 1) ? z / (1 - k * z) : 1 + (z - 1 / (k + 1)));

/** A layer of IF neurons (θ = 1, reset by subtraction, v(0) = 0) with refractory period k and pre-distortion. */
const predistortingLayer = (k: number): SpikeNode => ({
  name: 's',
  op: 'spike',
  inputs: ['x'],
  output: 's',
  lambda: [1],
  neuron: { model: 'if', vThreshold: 1, vReset: 0, reset: 'subtract', vInitFraction: 0, tRefSteps: k, predistort: true },
});

describe('refractory pre-distortion of a time-varying current (running mean)', () => {
  /** Spikes of one IF neuron (refractory k) fed z_t through RunningPredistortion. */
  function countRunning(k: number, current: (t: number) => number, T: number): number {
    const p = ifParams('subtract', k);
    const state = initialState(1, 0);
    const pd = new RunningPredistortion(1, k);
    pd.begin(1);
    const z = new Float32Array(1);
    const zp = new Float32Array(1);
    const out = new Float32Array(1);
    let n = 0;
    for (let t = 1; t <= T; t++) {
      z[0] = current(t);
      pd.step(z, 0, zp, 0, 1, t, 0);
      n += step(p, state, zp, 0, out, 0, 1);
    }
    return n;
  }

  it('feeds f(z) at every step of a constant current, as the element-wise map does', () => {
    const pd = new RunningPredistortion(1, 2);
    pd.begin(3);
    const z = Float32Array.of(0.1, 0.3, -0.2);
    const out = new Float32Array(3);
    for (let t = 1; t <= 50; t++) {
      pd.step(z, 0, out, 0, 3, t, 0);
      for (let j = 0; j < 3; j++) expect(out[j]).toBeCloseTo(predistortValue(z[j]!, 1, 2), 5);
    }
  });

  it('integrates to t f(mean of z) for any current, whatever its bursts', () => {
    const k = 2;
    const pd = new RunningPredistortion(1, k);
    pd.begin(1);
    const out = new Float32Array(1);
    let sumIn = 0;
    let sumOut = 0;
    for (let t = 1; t <= 300; t++) {
      const z = t % 5 === 0 ? 0.9 : t % 7 === 0 ? -0.2 : 0; // bursts, some negative
      pd.step(Float32Array.of(z), 0, out, 0, 1, t, 0);
      sumIn += Math.fround(z);
      sumOut += out[0]!;
      const r = sumIn / t;
      const f = fByHand(r, k);
      expect(sumOut).toBeCloseTo(t * f, 3);
    }
  });

  it('a bursty current fires closer to its mean rate than when each burst is distorted', () => {
    const T = 40000;
    let runningError = 0;
    let perStepError = 0;
    for (const k of [1, 2, 3]) {
      for (const r of [0.05, 0.1, 0.15]) {
        if (r >= 1 / (k + 1)) continue;
        // A burst of 4 r every fourth step: mean r, the shape of a pooled spike input.
        const burst = (t: number) => (t % 4 === 0 ? 4 * r : 0);
        const running = countRunning(k, burst, T) / T;
        const p = ifParams('subtract', k);
        const state = initialState(1, 0);
        const out = new Float32Array(1);
        let n = 0;
        for (let t = 1; t <= T; t++) n += step(p, state, Float32Array.of(predistortValue(burst(t), 1, k)), 0, out, 0, 1);
        // Never worse (both saturate when one burst must carry a spike of its own) ...
        expect(Math.abs(running - r)).toBeLessThanOrEqual(Math.abs(n / T - r) + 1e-9);
        runningError += Math.abs(running - r);
        perStepError += Math.abs(n / T - r);
      }
    }
    // ... and better overall.
    expect(runningError).toBeLessThan(0.5 * perStepError);
  });
});

describe('a spiking layer with pre-distortion, over chunks and a batch', () => {
  it('feeds each neuron the increments of t f(mean current), step by step across chunk boundaries', () => {
    const k = 2;
    const [batch, per, T] = [2, 3, 9];
    const node = predistortingLayer(k);
    // Bursty currents, different per sample and neuron: z[t][b][j].
    const z = (t: number, b: number, j: number) => ((t + b + j) % 3 === 0 ? 0.3 + 0.2 * j + 0.1 * b : (t + j) % 4 === 1 ? -0.1 : 0);
    for (const scan of ['fast', 'step'] as const) {
      const layer = new NeuronLayer(node, per, scan, DEFAULT_RUNTIME, 0);
      layer.begin(batch);
      const got: number[][][] = [];
      for (const [t0, steps] of [[0, 4], [4, 5]] as const) {
        const data = new Float32Array(steps * batch * per);
        for (let k2 = 0; k2 < steps; k2++) for (let b = 0; b < batch; b++) for (let j = 0; j < per; j++) data[(k2 * batch + b) * per + j] = z(t0 + k2, b, j);
        const out = layer.run([{ data, temporal: true }], { batch, t0, steps, timesteps: T }).data;
        for (let k2 = 0; k2 < steps; k2++) got.push(Array.from({ length: batch }, (_, b) => Array.from(out.subarray((k2 * batch + b) * per, (k2 * batch + b + 1) * per))));
      }
      // By hand, per neuron: S_t, D_t = t f(S_t / t), current D_t - D_(t-1), then the IF step.
      const p = ifParams('subtract', k);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < per; j++) {
          const state = initialState(1, 0);
          const spike = new Float32Array(1);
          let sum = 0;
          let before = 0;
          for (let t = 1; t <= T; t++) {
            sum += Math.fround(z(t - 1, b, j));
            const r = sum / t;
            const f = fByHand(r, k);
            const current = Math.fround(t * f - before);
            before = t * f;
            step(p, state, Float32Array.of(current), 0, spike, 0, 1);
            expect(got[t - 1]![b]![j], `${scan} t=${t} sample ${b} neuron ${j}`).toBe(spike[0]);
          }
        }
      }
      expect(got.flat(2).some((x) => x === 1)).toBe(true);
    }
  });

  it('feeds a constant current f(z) at every step of every chunk, as one neuron fed f(z) fires', () => {
    const k = 1;
    const node = predistortingLayer(k);
    const zs = [0.05, 0.2, 0.4, 0.7];
    const layer = new NeuronLayer(node, zs.length, 'fast', DEFAULT_RUNTIME, 0);
    layer.begin(1);
    const counts = zs.map(() => 0);
    const T = 24;
    for (let t0 = 0; t0 < T; t0 += 8) {
      const out = layer.run([{ data: Float32Array.from(zs), temporal: false }], { batch: 1, t0, steps: 8, timesteps: T }).data;
      out.forEach((x, i) => (counts[i % zs.length]! += x));
    }
    // One neuron with constant current f(z), by step().
    zs.forEach((z, j) => {
      const f = fByHand(z, k);
      expect(counts[j], `z = ${z}`).toBe(count(ifParams('subtract', k), Math.fround(f), T));
    });
  });
});

describe('LIF rate and leak compensation', () => {
  const lif = (tau: number, k: number): NeuronParams =>
    fromLayerParams({ model: 'lif', tauSteps: tau, vThreshold: 1, vReset: 0, reset: 'zero', vInitFraction: 0, tRefSteps: k });

  it('the analytic rate matches the simulated reset-to-zero LIF when tau spans many steps', () => {
    const T = 50000;
    for (const tau of [50, 200]) {
      const a = Math.exp(-1 / tau);
      for (const factor of [1.2, 2, 5]) {
        const z = factor * (1 - a); // factor x rheobase
        const simulated = count(lif(tau, 0), z, T) / T;
        const n = tau * Math.log(factor / (factor - 1));
        // Discrete steps round each interval up: the rate lies between 1/(n+1) and 1/n.
        expect(simulated).toBeLessThanOrEqual(1 / n + 1e-4);
        expect(simulated).toBeGreaterThanOrEqual(1 / (n + 1) - 1e-4);
        expect(lifRate(z, tau, 0)).toBeCloseTo(1 / n, 10);
      }
      expect(count(lif(tau, 0), 0.99 * (1 - a), T)).toBe(0);
    }
  });

  it('compensation brings the simulated LIF rate map closer to the linear IF map', () => {
    for (const tau of [8, 16, 32]) {
      const fit = fitLeakCompensation(tau, 0);
      const T = 4000;
      let plain = 0;
      let compensated = 0;
      const zs = Array.from({ length: 21 }, (_, i) => i / 20);
      for (const z of zs) {
        const p = { ...lif(tau, 0), reset: 'subtract' as const };
        plain += (count(p, z, T) / T - z) ** 2;
        compensated += (count(p, fit.gain * z + fit.offset, T) / T - z) ** 2;
      }
      expect(Math.sqrt(compensated / zs.length)).toBeLessThan(0.7 * Math.sqrt(plain / zs.length));
    }
  });
});
