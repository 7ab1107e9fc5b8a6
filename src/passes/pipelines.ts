/**
 * Named pipelines of passes.
 *   import:  cleanup right after a loader: fold BatchNorm and constant affine maps into the
 *            linear op before them, else into the one after them
 *   convert: ANN -> SNN given calibration statistics (ReLU -> IF neurons, optionally a spiking
 *            readout, weight normalisation, leak compensation for LIF neurons)
 */
import type { NeuronLayerParams } from '../ir/graph.js';
import { OUTPUT_STATS, type ActivationStats } from '../model/activation-stats.js';
import { spikingReadout } from './spiking-readout.js';
import { compensateLeak } from './compensate-leak.js';
import { foldAffine } from './fold-affine.js';
import { foldAffineForward } from './fold-affine-forward.js';
import { normalizeWeights } from './normalize-weights.js';
import type { Pass } from './pass.js';
import { reluToSpike } from './relu-to-spike.js';

export const importPipeline: readonly Pass[] = [foldAffine, foldAffineForward];

/** `stats` may hold OUTPUT_STATS: then the output spikes too (spike-count readout). */
export function convertPipeline(stats: ReadonlyMap<string, ActivationStats>, neuron: NeuronLayerParams): Pass[] {
  const output = stats.get(OUTPUT_STATS);
  // The readout neurons integrate without leak or refractory period whatever the hidden layers do.
  const { tauSteps: _leak, ...rest } = neuron;
  const readout = output ? [spikingReadout(output, { ...rest, model: 'if', tRefSteps: 0, predistort: false })] : [];
  const leak = neuron.model === 'lif' ? [compensateLeak] : [];
  return [reluToSpike(stats, neuron), ...readout, normalizeWeights, ...leak];
}
