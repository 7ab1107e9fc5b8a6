/**
 * A neuron in physical units and its mapping onto the shared step of neuron.ts.
 *
 *   C dV/dt = -g_L (V - E_L) - g_a a (V - E_K) + I(t) + sigma dW,   tau_a da/dt = -a
 *   V >= V_th: spike, V -> V_reset, clamped for t_ref; a -> a + b (alif)
 *
 * Units: C in nF, conductances in nS, potentials in mV, times in ms, currents in nA, sigma in
 * mV/sqrt(ms). They fit together without factors of ten except one: nF / nS = s, so
 * tau_m [ms] = 1000 C / g_L and R I [mV] = 1000 I / g_L; I dt / C [mV] = I [nA] dt [ms] / C [nF].
 */
import { UserError } from '../errors.js';
import type { NeuronParams, SpikeTiming } from './neuron.js';

/** pif: perfect integrator (g_L = 0); lif: leaky; alif: leaky with spike-triggered adaptation. */
export type LabModel = 'pif' | 'lif' | 'alif';

export interface PhysicalAdaptation {
  /** Conductance per unit of a (nS). */
  gANs: number;
  /** Increase of a at each spike (dimensionless). */
  b: number;
  tauAMs: number;
  /** Reversal potential of the adaptation current (potassium). */
  eKMv: number;
}

export interface PhysicalNeuron {
  model: LabModel;
  cNf: number;
  /** Leak conductance; 0 for pif. */
  gLNs: number;
  eLMv: number;
  vThMv: number;
  vResetMv: number;
  tRefMs: number;
  /** Integration step. */
  dtMs: number;
  timing: SpikeTiming;
  /** Noise intensity sigma of dV = ... + sigma dW (mV / sqrt(ms)); 0 for none. */
  sigmaMvPerSqrtMs: number;
  /** alif only. */
  adaptation?: PhysicalAdaptation;
}

/**
 * Defaults: a small cortical cell. C = 0.2 nF and g_L = 10 nS give tau_m = 20 ms and
 * R = 100 MOhm, so the rheobase g_L (V_th - E_L) is 0.2 nA. Adaptation (alif): each spike
 * adds 1 nS of potassium conductance (E_K = -80 mV) decaying with tau_a = 100 ms.
 */
export const DEFAULT_NEURON: Omit<PhysicalNeuron, 'model'> & { adaptation: PhysicalAdaptation } = {
  cNf: 0.2,
  gLNs: 10,
  eLMv: -70,
  vThMv: -50,
  vResetMv: -65,
  tRefMs: 2,
  dtMs: 0.1,
  timing: 'exact',
  sigmaMvPerSqrtMs: 0,
  adaptation: { gANs: 1, b: 1, tauAMs: 100, eKMv: -80 },
};

/** Membrane time constant C / g_L in ms (Infinity for pif). */
export function tauMs(n: PhysicalNeuron): number {
  return n.gLNs > 0 ? (1000 * n.cNf) / n.gLNs : Infinity;
}

/** Smallest constant current that makes the neuron fire: g_L (V_th - E_L), in nA (0 for pif). */
export function rheobaseNa(n: PhysicalNeuron): number {
  return (n.gLNs * (n.vThMv - n.eLMv)) / 1000;
}

/**
 * An upper bound on the spikes of one step while |I| <= iMaxNa: step timing fires at most
 * once per step; exact timing at most once per t_ref, and no faster than the perfect
 * integrator climbs from V_reset to V_th, dV/dt = I / C (mV/ms for nA/nF; a leak only slows
 * it), plus one for a start above the threshold. Bounds the simulation loops before they run.
 */
export function maxSpikesPerStep(n: PhysicalNeuron, iMaxNa: number): number {
  if (n.timing === 'step') return 1;
  const byCurrent = (Math.abs(iMaxNa) / n.cNf) * (n.dtMs / (n.vThMv - n.vResetMv)) + 1;
  const byRefractory = n.tRefMs > 0 ? n.dtMs / n.tRefMs + 1 : Infinity;
  return Math.min(byCurrent, byRefractory);
}

/** Throws a one-line UserError for a parameter set the neuron cannot have. */
export function checkNeuron(n: PhysicalNeuron): void {
  const bad = (message: string): never => {
    throw new UserError(`neuron ${n.model}: ${message}`);
  };
  if (!(n.cNf > 0)) bad(`C = ${n.cNf} nF, expected > 0`);
  if (n.model === 'pif' && n.gLNs !== 0) bad(`g_L = ${n.gLNs} nS, the perfect integrator has no leak (g_L = 0)`);
  if (n.model !== 'pif' && !(n.gLNs > 0)) bad(`g_L = ${n.gLNs} nS, expected > 0 (g_L = 0 is --neuron pif)`);
  if (!(n.vResetMv < n.vThMv)) bad(`V_reset = ${n.vResetMv} mV, expected below V_th = ${n.vThMv} mV`);
  if (!(n.tRefMs >= 0)) bad(`t_ref = ${n.tRefMs} ms, expected >= 0`);
  if (!(n.dtMs > 0)) bad(`dt = ${n.dtMs} ms, expected > 0`);
  if (!(n.sigmaMvPerSqrtMs >= 0)) bad(`sigma = ${n.sigmaMvPerSqrtMs} mV/sqrt(ms), expected >= 0`);
  if (n.timing === 'step' && Math.abs(n.tRefMs / n.dtMs - Math.round(n.tRefMs / n.dtMs)) > 1e-9) {
    bad(`t_ref = ${n.tRefMs} ms is not a whole number of steps of dt = ${n.dtMs} ms (step timing holds whole steps)`);
  }
  if ((n.model === 'alif') !== (n.adaptation !== undefined)) bad('adaptation parameters belong to alif only');
  const a = n.adaptation;
  if (a !== undefined) {
    if (!(a.gANs >= 0) || !(a.b >= 0)) bad(`g_a = ${a.gANs} nS, b = ${a.b}: expected >= 0`);
    if (!(a.tauAMs > 0)) bad(`tau_a = ${a.tauAMs} ms, expected > 0`);
  }
}

/**
 * The shared step's parameters for a physical neuron: membrane in mV, input z in nA, one step
 * = dt ms. decay = exp(-dt / tau_m), gain = (1 - decay) R (pif: dt / C), reset to V_reset.
 */
export function fromPhysical(n: PhysicalNeuron): NeuronParams {
  checkNeuron(n);
  const leaky = n.gLNs > 0;
  const decay = leaky ? Math.exp(-n.dtMs / tauMs(n)) : 1;
  const gain = leaky ? ((1 - decay) * 1000) / n.gLNs : n.dtMs / n.cNf;
  const tRefSteps = n.timing === 'step' ? Math.round(n.tRefMs / n.dtMs) : n.tRefMs / n.dtMs;
  const params: NeuronParams = { decay, gain, vRest: n.eLMv, vThreshold: n.vThMv, vReset: n.vResetMv, reset: 'zero', tRefSteps, timing: n.timing };
  // Euler-Maruyama: the Wiener increment over one step has standard deviation sqrt(dt).
  if (n.sigmaMvPerSqrtMs > 0) params.noiseStd = n.sigmaMvPerSqrtMs * Math.sqrt(n.dtMs);
  const a = n.adaptation;
  if (a !== undefined) {
    // q = g_a a dt / C as a rate per step: nS ms / nF = 1e-3.
    params.adaptation = { decay: Math.exp(-n.dtMs / a.tauAMs), increment: (a.gANs * a.b * n.dtMs) / (1000 * n.cNf), vReversal: a.eKMv };
  }
  return params;
}
