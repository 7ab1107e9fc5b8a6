/**
 * The f-I curve of a physical neuron: one neuron per current, all run as one layer of the
 * shared step (neuron.ts) for the same duration, and the analytic rate beside it.
 *
 * The simulated rate is the steady-state rate from spike times: after a reference spike (the
 * first one in the measurement window), n further spikes up to time t_last give
 * rate = n / (t_last - t_ref). For a periodic neuron this is exactly 1 / ISI (spike times are
 * exact with timing 'exact'); with noise it is the renewal-process estimate. With fewer than
 * two spikes in the window the rate is spikes / window length. The window is the whole run,
 * except for alif, which first adapts for min(5 tau_a, duration / 2).
 */
import { initialState, step } from './neuron.js';
import { invariant } from '../errors.js';
import { checkNeuron, fromPhysical, tauMs, type PhysicalNeuron } from './physical.js';

export interface FiPoint {
  currentNa: number;
  /** Simulated steady-state rate. */
  rateHz: number;
  /** Analytic rate of the deterministic neuron without adaptation (see analyticRateHz). */
  analyticRateHz: number;
  /** Spikes in the measurement window. */
  spikes: number;
}

export interface FiOptions {
  durationMs: number;
  /** Seed of the membrane noise (used when sigma > 0). */
  seed: number;
}

/**
 * Rate of the deterministic neuron (no noise, no adaptation) under a constant current I, in Hz:
 *   pif: 1 / (t_ref + C (V_th - V_reset) / I)                          for I > 0
 *   lif: 1 / (t_ref + tau_m ln((R I + E_L - V_reset) / (R I + E_L - V_th)))   for R I + E_L > V_th
 * and 0 otherwise. For alif it is the rate before any adaptation, an upper bound.
 */
export function analyticRateHz(n: PhysicalNeuron, currentNa: number): number {
  if (n.gLNs === 0) {
    if (!(currentNa > 0)) return 0;
    return 1000 / (n.tRefMs + (n.cNf * (n.vThMv - n.vResetMv)) / currentNa);
  }
  const vInf = (1000 * currentNa) / n.gLNs + n.eLMv;
  if (!(vInf > n.vThMv)) return 0;
  return 1000 / (n.tRefMs + tauMs(n) * Math.log((vInf - n.vResetMv) / (vInf - n.vThMv)));
}

/** The window start: alif adapts first, the others are measured from the start. */
export function settleMs(n: PhysicalNeuron, durationMs: number): number {
  return n.adaptation === undefined ? 0 : Math.min(5 * n.adaptation.tauAMs, durationMs / 2);
}

export function simulateFi(n: PhysicalNeuron, currentsNa: readonly number[], options: FiOptions): FiPoint[] {
  checkNeuron(n);
  const params = fromPhysical(n);
  const count = currentsNa.length;
  const state = initialState(count, n.eLMv, params, { seed: options.seed, precision: 'float64' });
  const z = Float64Array.from(currentsNa);
  const out = new Float64Array(count);
  const steps = Math.round(options.durationMs / n.dtMs);
  const windowStartMs = settleMs(n, options.durationMs);
  const total = new Float64Array(count);
  const after = new Float64Array(count);
  const refMs = new Float64Array(count).fill(NaN);
  const lastMs = new Float64Array(count);
  for (let s = 0; s < steps; s++) {
    if (step(params, state, z, 0, out, 0, count) === 0) continue;
    for (let i = 0; i < count; i++) {
      const k = out[i]!;
      if (k === 0) continue;
      // With exact timing, the time of the step's last spike; otherwise the end of the step.
      const tMs = (s + (state.spikeTime?.[i] ?? 1)) * n.dtMs;
      if (tMs < windowStartMs) continue;
      total[i]! += k;
      if (Number.isNaN(refMs[i]!)) {
        refMs[i] = tMs;
      } else {
        after[i]! += k;
        lastMs[i] = tMs;
      }
    }
  }
  const windowMs = steps * n.dtMs - windowStartMs;
  return currentsNa.map((currentNa, i) => ({
    currentNa,
    rateHz: after[i]! > 0 ? (1000 * after[i]!) / (lastMs[i]! - refMs[i]!) : (1000 * total[i]!) / windowMs,
    analyticRateHz: analyticRateHz(n, currentNa),
    spikes: total[i]!,
  }));
}

/** Currents from:to:step (nA), endpoints included, rounded to 12 significant digits. */
/** Most currents one f-I curve simulates. */
export const MAX_CURRENTS = 10_000;

/** How many currents from:step:to holds (endpoints included), computed without building the list: may be huge or Infinity. */
export function currentCount(from: number, to: number, stepNa: number): number {
  return Math.floor((to - from) / stepNa + 1e-9) + 1;
}

export function currentGrid(from: number, to: number, stepNa: number): number[] {
  const count = currentCount(from, to, stepNa);
  invariant(Number.isSafeInteger(count) && count >= 1 && count <= MAX_CURRENTS, `current grid of ${count} values`);
  return Array.from({ length: count }, (_, k) => Number((from + k * stepNa).toPrecision(12)));
}
