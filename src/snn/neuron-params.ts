/**
 * The parameters and state of the neuron step (neuron.ts and its options in
 * step-extended.ts), defined once: every implementation of the step, the JavaScript and
 * WebAssembly scans of the runtime included, takes these types, and NEURON_PARAM_KEYS lists
 * every parameter so that a table keyed by it (runtime/neuron-scan.ts: which parameters the
 * fast scans handle) fails to compile when a parameter is added and not yet decided there.
 */
import type { NormalSource } from './normal.js';

export type ResetMode = 'subtract' | 'zero';

/** 'step': spikes at the end of the step that crosses the threshold; 'exact': at the crossing. */
export type SpikeTiming = 'step' | 'exact';

/**
 * Spike-triggered adaptation in step units. The state holds q = g_a a dt / C, the adaptation
 * conductance as a membrane rate per step: over a step, dv = -q (v - vReversal) besides the
 * leak, with q held at its mid-step value (error O((dt / tau_a)^2)); a decays as exp(-dt / tau_a).
 */
export interface AdaptationParams {
  /** Per-step decay of a: exp(-dt / tau_a). */
  decay: number;
  /** Increase of q at each spike: g_a b dt / C. */
  increment: number;
  /** Reversal potential E_K of the adaptation current (membrane units). */
  vReversal: number;
}

export interface NeuronParams {
  /** Membrane decay per step, exp(-dt / tau); 1 for a non-leaky integrator. */
  decay: number;
  /** Input gain per step: membrane change per unit of input held for one step. */
  gain: number;
  /** Resting (leak reversal) potential the membrane decays towards. */
  vRest: number;
  vThreshold: number;
  vReset: number;
  reset: ResetMode;
  /** Absolute refractory period in steps (an integer unless timing is 'exact'). */
  tRefSteps: number;
  /** Default 'step'. */
  timing?: SpikeTiming;
  /** Standard deviation of the membrane noise added per step (membrane units): sigma sqrt(dt). */
  noiseStd?: number;
  adaptation?: AdaptationParams;
  /**
   * Signed spikes (reset by subtraction): below vReset with a positive net count, a -1 spike
   * and v -> v + (vThreshold - vReset). The state then holds the net count (`net`).
   */
  signed?: boolean;
}

/** Per-neuron state of one layer: membrane potential, refractory steps left, and what the options need. */
export interface NeuronState<V extends Float32Array | Float64Array = Float32Array> {
  v: V;
  refractory: Int32Array;
  /** Exact timing: refractory time left, in steps (fractional). */
  refractoryLeft?: Float64Array;
  /** Exact timing: time of the neuron's last spike within the step, in (0, 1] steps (where it spiked). */
  spikeTime?: Float64Array;
  /** Adaptation: q = g_a a dt / C per neuron. */
  adaptation?: Float64Array;
  /** Noise: the seeded generator, shared by the layer's neurons in index order. */
  noise?: NormalSource;
  /** Signed spikes: net spike count (+1 spikes minus -1 spikes) per neuron, never below 0. */
  net?: Int32Array;
}

export interface StateOptions {
  /** Seed of the noise generator (required when the params have noise). */
  seed?: number;
  /** float64 for long runs in physical units (the lab); float32 (default) for the converted SNN. */
  precision?: 'float32' | 'float64';
}

/** Every key of NeuronParams, once (the compiler checks the list is complete and exact). */
export const NEURON_PARAM_KEYS = ['decay', 'gain', 'vRest', 'vThreshold', 'vReset', 'reset', 'tRefSteps', 'timing', 'noiseStd', 'adaptation', 'signed'] as const satisfies readonly (keyof NeuronParams)[];
type Missing = Exclude<keyof NeuronParams, (typeof NEURON_PARAM_KEYS)[number]>;
const _complete: [Missing] extends [never] ? true : never = true;
void _complete;

/** True when the params use none of the options: the plain loop runs. */
export function isPlain(p: NeuronParams): boolean {
  return p.timing !== 'exact' && !p.noiseStd && p.adaptation === undefined;
}

