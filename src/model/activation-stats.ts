/**
 * Calibration statistics of one ReLU layer (or of the graph output, under OUTPUT_STATS): the
 * scale lambda that the SNN maps to the highest firing rate, and what it clips. Collected by
 * runtime/activation-stats.ts, consumed by the conversion passes, stored in the manifest.
 */

export interface ActivationStats {
  /** lambda per channel (channel-wise) or a single value (layer-wise). */
  lambda: number[];
  /** Fraction of positive calibration activations above lambda (clipped in the SNN). */
  clippedFraction: number;
  /** Largest activation seen. */
  max: number;
  /** Fraction of activations that are positive. */
  activeFraction: number;
}

/** Key of the graph output's statistics in the returned map. */
export const OUTPUT_STATS = '#output';
