import type { ConstTensor } from '../proto.js';

/**
 * If constant `t` broadcasts (numpy rules, right-aligned) against a [N, C, ...] tensor as one
 * value per channel C, returns that vector of length C; otherwise null.
 * `shape` is the dynamic tensor's shape without batch, so its channel axis is shape[0].
 */
export function perChannel(t: ConstTensor, shape: readonly number[]): Float32Array | null {
  const full = [1, ...shape];
  if (t.dims.length > full.length) return null;
  const offset = full.length - t.dims.length;
  const channels = shape[0]!;
  let channelDim = 1;
  for (let j = 0; j < t.dims.length; j++) {
    const axis = j + offset;
    const d = t.dims[j]!;
    if (axis === 1) {
      if (d !== 1 && d !== channels) return null;
      channelDim = d;
    } else if (d !== 1) {
      return null;
    }
  }
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) out[c] = t.data[channelDim === 1 ? 0 : c]!;
  return out;
}
