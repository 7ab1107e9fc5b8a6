/**
 * Membrane traces of a physical neuron under a time-varying current, and the low-pass gain of
 * the passive membrane. Both run the shared step (neuron.ts); the current of a step is the
 * stimulus at the step's midpoint, held for the step.
 */
import { initialState, step } from './neuron.js';
import { checkNeuron, fromPhysical, tauMs, type PhysicalNeuron } from './physical.js';
import { currentAt, type Stimulus } from './stimulus.js';
import { InternalError, UserError } from '../errors.js';

export interface Trace {
  /** Step boundaries 0, dt, ..., duration (steps + 1 values). */
  tMs: Float64Array;
  /** Membrane at each boundary (after the step's spike and reset). */
  vMv: Float64Array;
  /** Current held during step k (at tMs[k] .. tMs[k+1]); the last value repeats the one before. */
  iNa: Float64Array;
  spikeTimesMs: number[];
}

export function simulateTrace(n: PhysicalNeuron, stimulus: Stimulus, durationMs: number, seed: number): Trace {
  checkNeuron(n);
  const params = fromPhysical(n);
  const steps = Math.round(durationMs / n.dtMs);
  const state = initialState(1, n.eLMv, params, { seed, precision: 'float64' });
  const tMs = new Float64Array(steps + 1);
  const vMv = new Float64Array(steps + 1);
  const iNa = new Float64Array(steps + 1);
  const z = new Float64Array(1);
  const out = new Float64Array(1);
  const spikeTimesMs: number[] = [];
  vMv[0] = n.eLMv;
  for (let s = 0; s < steps; s++) {
    z[0] = currentAt(stimulus, (s + 0.5) * n.dtMs);
    iNa[s] = z[0];
    step(params, state, z, 0, out, 0, 1);
    // More than one spike in a step only happens when t_ref < dt; all are listed at the last one's time.
    for (let k = 0; k < out[0]!; k++) spikeTimesMs.push((s + (state.spikeTime?.[0] ?? 1)) * n.dtMs);
    tMs[s + 1] = (s + 1) * n.dtMs;
    vMv[s + 1] = state.v[0]!;
  }
  iNa[steps] = iNa[Math.max(0, steps - 1)]!;
  return { tMs, vMv, iNa, spikeTimesMs };
}

export interface GainPoint {
  freqHz: number;
  /** Amplitude of V - E_L over R times the current amplitude, simulated. */
  gain: number;
  /** 1 / sqrt(1 + (2 pi f tau_m)^2), the RC low-pass. */
  rcGain: number;
}

/** Bound on simulated neuron-steps of a gain measurement. */
export const MAX_GAIN_STEPS = 50_000_000;

export const GAIN_FREQUENCIES_HZ = [1, 2, 5, 10, 20, 50, 100, 200];

/**
 * Gain of the passive membrane (no threshold, no noise, no adaptation) for a sine current of
 * each frequency: after 10 tau_m of settling, the amplitude of V - E_L over a whole number of
 * periods (at least 200 ms) by projection on sin and cos (lock-in), divided by R I_amp.
 * Leaky models only (the perfect integrator has no R).
 */
export function passiveGain(n: PhysicalNeuron, freqsHz: readonly number[], ampNa = 0.01): GainPoint[] {
  checkNeuron(n);
  if (n.gLNs === 0) throw new InternalError('passive gain of a neuron without leak');
  const tau = tauMs(n);
  const passive: PhysicalNeuron = { ...n, model: 'lif', tRefMs: 0, timing: 'step', sigmaMvPerSqrtMs: 0 };
  delete passive.adaptation;
  const params = { ...fromPhysical(passive), vThreshold: Infinity };
  const count = freqsHz.length;
  const settleSteps = Math.ceil((10 * tau) / n.dtMs);
  // Periods first, then ms: (ceil(0.2 f) * 1000) / f would overflow to Infinity for a huge f.
  const windowSteps = freqsHz.map((f) => Math.round(((Math.max(1, Math.ceil(0.2 * f)) / f) * 1000) / n.dtMs));
  const steps = settleSteps + Math.max(...windowSteps);
  if (!(steps * count <= MAX_GAIN_STEPS)) {
    throw new UserError(`the passive gain would need ${steps} steps of ${n.dtMs} ms for ${count} frequencies, above the limit ${MAX_GAIN_STEPS}`);
  }
  const state = initialState(count, n.eLMv, params, { precision: 'float64' });
  const z = new Float64Array(count);
  const out = new Float64Array(count);
  const sinSum = new Float64Array(count);
  const cosSum = new Float64Array(count);
  const omegas = freqsHz.map((f) => (2 * Math.PI * f) / 1000);
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < count; i++) z[i] = ampNa * Math.sin(omegas[i]! * (s + 0.5) * n.dtMs);
    step(params, state, z, 0, out, 0, count);
    const k = s + 1 - settleSteps;
    if (k <= 0) continue;
    const t = (s + 1) * n.dtMs;
    for (let i = 0; i < count; i++) {
      if (k > windowSteps[i]!) continue;
      const u = state.v[i]! - n.eLMv;
      sinSum[i]! += u * Math.sin(omegas[i]! * t);
      cosSum[i]! += u * Math.cos(omegas[i]! * t);
    }
  }
  const rMv = (1000 * ampNa) / n.gLNs;
  return freqsHz.map((f, i) => ({
    freqHz: f,
    gain: (2 * Math.hypot(sinSum[i]!, cosSum[i]!)) / windowSteps[i]! / rMv,
    rcGain: 1 / Math.sqrt(1 + (2 * Math.PI * f * (tau / 1000)) ** 2),
  }));
}
