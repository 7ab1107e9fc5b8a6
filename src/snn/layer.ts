/** Maps a spiking layer of the IR (parameters in timesteps) onto the neuron step of neuron.ts. */
import type { NeuronLayerParams } from '../ir/graph.js';
import type { NeuronParams, SpikeTiming } from './neuron.js';

/**
 * Runtime options of the neuron step in timestep units (dimensionless potentials: rest 0,
 * threshold vThreshold), for robustness studies of a converted network.
 */
export interface StepOptions {
  /** Membrane noise: standard deviation added per step (threshold units), sigma sqrt(dt) with dt = 1 step. */
  noisePerStep?: number;
  /** Spike-triggered adaptation: a -> a + b per spike, decaying with tauSteps, acting as a conductance. */
  adaptation?: StepAdaptation;
  timing?: SpikeTiming;
}

export interface StepAdaptation {
  /**
   * Conductance added per spike, as a membrane rate per step (g_a b dt / C): right after a
   * spike, one step pulls v towards vReversal by about the fraction b of the distance.
   */
  b: number;
  /** Time constant of a, in timesteps. */
  tauSteps: number;
  /** Reversal potential of the adaptation current (membrane units; default -vThreshold, below rest). */
  vReversal?: number;
}

export function fromLayerParams(p: NeuronLayerParams, options: StepOptions = {}): NeuronParams {
  // LIF in timesteps: dt = 1 step, decay = exp(-1 / tau); the synaptic current of a step is
  // added directly (gain 1), the resting potential is 0.
  const decay = p.model === 'lif' ? Math.exp(-1 / p.tauSteps!) : 1;
  const params: NeuronParams = { decay, gain: 1, vRest: 0, vThreshold: p.vThreshold, vReset: p.vReset, reset: p.reset, tRefSteps: p.tRefSteps };
  if (p.signed) params.signed = true;
  if (options.timing !== undefined) params.timing = options.timing;
  if (options.noisePerStep) params.noiseStd = options.noisePerStep;
  if (options.adaptation) {
    const a = options.adaptation;
    params.adaptation = { decay: Math.exp(-1 / a.tauSteps), increment: a.b, vReversal: a.vReversal ?? -p.vThreshold };
  }
  return params;
}

/** Highest firing rate in spikes per step: one spike, then tRefSteps silent steps. */
export function maxRate(tRefSteps: number): number {
  return 1 / (tRefSteps + 1);
}
