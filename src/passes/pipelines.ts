/**
 * Named pipelines of passes.
 *   import:  cleanup right after a loader (fold BatchNorm and constant affine maps)
 *   convert: ANN -> SNN given calibration statistics (ReLU -> IF neurons, weight normalisation)
 */
import type { NeuronLayerParams } from '../ir/graph.js';
import type { ActivationStats } from '../runtime/activation-stats.js';
import { foldAffine } from './fold-affine.js';
import { normalizeWeights } from './normalize-weights.js';
import type { Pass } from './pass.js';
import { reluToSpike } from './relu-to-spike.js';

export const importPipeline: readonly Pass[] = [foldAffine];

export function convertPipeline(stats: ReadonlyMap<string, ActivationStats>, neuron: NeuronLayerParams): Pass[] {
  return [reluToSpike(stats, neuron), normalizeWeights];
}
