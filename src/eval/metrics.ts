/** Summary numbers of one evaluation that sweeps and baselines compare. */
import type { LayerResult } from './evaluate.js';

/**
 * Mean spikes per neuron per timestep over all spiking neurons of the network:
 *   sum_l rate_l n_l / sum_l n_l   (n_l neurons in layer l),
 * i.e. total spikes / (neurons x T x samples); 0 for a network without spiking layers.
 */
export function meanFiringRate(layers: readonly LayerResult[]): number {
  const neurons = layers.reduce((s, l) => s + l.neurons, 0);
  return neurons === 0 ? 0 : layers.reduce((s, l) => s + l.firingRate * l.neurons, 0) / neurons;
}

/** First t (1-based) with accuracy >= target, or null if it is never reached. */
export function stepsToReach(accuracyByStep: readonly number[], target: number): number | null {
  // Accuracies are ratios of counts: a tiny tolerance keeps e.g. 0.3 (3/10) >= 0.3.
  const i = accuracyByStep.findIndex((a) => a >= target - 1e-12);
  return i < 0 ? null : i + 1;
}

/**
 * Pareto optimality with fewer steps and higher accuracy both better: a point is dominated
 * when another is at least as good on both and strictly better on one.
 */
export function paretoOptimal(points: readonly { steps: number; accuracy: number }[]): boolean[] {
  return points.map(
    (p) => !points.some((q) => q.steps <= p.steps && q.accuracy >= p.accuracy && (q.steps < p.steps || q.accuracy > p.accuracy)),
  );
}
