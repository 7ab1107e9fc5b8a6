/**
 * Counter-based random numbers: a uniform value in [0, 1) that is a pure function of
 * (seed, stream, index). A simulation draws v(0) or input spikes for "neuron i of sample s
 * at step t" directly, so results do not depend on how samples are split into batches.
 *
 * The mixing is the 32-bit finaliser of MurmurHash3 applied in rounds, one per key word:
 * statistically adequate for dithering and Poisson input, not for cryptography.
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes key words into a 32-bit state. */
export function mixKey(seed: number, ...words: number[]): number {
  let h = fmix32((seed ^ 0x9e3779b9) >>> 0);
  for (const w of words) h = fmix32((h ^ Math.imul(w >>> 0, 0xcc9e2d51)) >>> 0);
  return h;
}

/** Uniform in [0, 1) for position `index` of the stream keyed by `key` (from mixKey). */
export function uniformAt(key: number, index: number): number {
  return fmix32((key ^ Math.imul(index >>> 0, 0x1b873593) ^ (index / 4294967296) >>> 0) >>> 0) / 4294967296;
}
