/**
 * Input encodings. The default feeds the preprocessed image as a constant current at every
 * step (a static value, computed on once). Poisson encoding turns each input value x into
 * spikes of amplitude sign(x) s at rate |x| / s per step, s = `scale` >= max |x|, so that the
 * expected input per step is x. Draws are counter-based (snn/counter-random.ts): spike
 * (sample, i, t) depends only on the seed and those indices, not on the batch split.
 */
import { mixKey, uniformAt } from '../snn/counter-random.js';

const POISSON_STREAM = 0x5e1;

/** x [batch][per] -> spikes [T][batch][per]. `firstSample` is the dataset index of sample 0. */
export function poissonEncode(x: Float32Array, batch: number, timesteps: number, scale: number, seed: number, firstSample: number): Float32Array {
  const per = x.length / batch;
  const out = new Float32Array(timesteps * x.length);
  for (let b = 0; b < batch; b++) {
    const key = mixKey(seed, POISSON_STREAM, firstSample + b);
    for (let i = 0; i < per; i++) {
      const v = x[b * per + i]!;
      const p = Math.min(1, Math.abs(v) / scale);
      if (p === 0) continue;
      const amplitude = Math.sign(v) * scale;
      for (let t = 0; t < timesteps; t++) {
        if (uniformAt(key, t * per + i) < p) out[t * x.length + b * per + i] = amplitude;
      }
    }
  }
  return out;
}
