/**
 * Named pipelines of passes.
 *   import:  cleanup right after a loader: fold BatchNorm and constant affine maps into the
 *            linear op before them, else into the one after them
 *   convert: ANN -> SNN given calibration statistics (ReLU -> IF neurons, weight normalisation)
 */
import type { NeuronLayerParams } from '../ir/graph.js';
import type { ActivationStats } from '../runtime/activation-stats.js';
import { foldAffine } from './fold-affine.js';
import { foldAffineForward } from './fold-affine-forward.js';
import { normalizeWeights } from './normalize-weights.js';
import type { Pass } from './pass.js';
import { reluToSpike } from './relu-to-spike.js';

export const importPipeline: readonly Pass[] = [foldAffine, foldAffineForward];

export function convertPipeline(stats: ReadonlyMap<string, ActivationStats>, neuron: NeuronLayerParams): Pass[] {
  return [reluToSpike(stats, neuron), normalizeWeights];
}
