/**
 * `--percentile fit`: λ for the run's T instead of at a fixed percentile. A spiking layer run
 * for T steps represents an activation a in [0, λ] by a spike count, with a resolution of
 * λ / (r_max T) (θ/2 initial potential: rounding, an error uniform over one step), and clips
 * everything above λ. Over the positive calibration activations a_i of a layer (or channel),
 * λ minimises the mean squared error of the two:
 *
 *   E(λ) = mean_i (a_i − λ)+²  +  λ² / (12 r_max² T²)
 *
 * Short runs want a low λ (fine steps, some clipping), long runs a λ near the maximum. E is
 * evaluated at every sample value from the top down with running sums (O(n) after a sort):
 * with m values above λ, sum P and sum of squares Q, Σ (a − λ)² = Q − 2 λ P + m λ².
 */
export function fitLambda(values: Float32Array, timesteps: number, rMax: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float32Array.from(values).sort();
  const quant = 1 / (12 * rMax * rMax * timesteps * timesteps);
  let best = sorted[n - 1]!;
  let bestError = best * best * quant;
  let p = 0;
  let q = 0;
  for (let k = n - 1; k >= 0; k--) {
    const lambda = sorted[k]!;
    const m = n - 1 - k;
    const clipped = (q - 2 * lambda * p + m * lambda * lambda) / n;
    const error = clipped + lambda * lambda * quant;
    if (error < bestError) {
      bestError = error;
      best = lambda;
    }
    // Past the point where clipping alone exceeds the best error, lower λ only gets worse.
    if (clipped > bestError) break;
    p += lambda;
    q += lambda * lambda;
  }
  return best;
}
