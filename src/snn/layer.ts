/** Maps a spiking layer of the IR (parameters in timesteps) onto the neuron step of neuron.ts. */
import type { NeuronLayerParams } from '../ir/graph.js';
import type { NeuronParams } from './neuron.js';

export function fromLayerParams(p: NeuronLayerParams): NeuronParams {
  // LIF in timesteps: dt = 1 step, decay = exp(-1 / tau); the synaptic current of a step is
  // added directly (gain 1), the resting potential is 0.
  const decay = p.model === 'lif' ? Math.exp(-1 / p.tauSteps!) : 1;
  return { decay, gain: 1, vRest: 0, vThreshold: p.vThreshold, vReset: p.vReset, reset: p.reset, tRefSteps: p.tRefSteps };
}

/** Highest firing rate in spikes per step: one spike, then tRefSteps silent steps. */
export function maxRate(tRefSteps: number): number {
  return 1 / (tRefSteps + 1);
}
