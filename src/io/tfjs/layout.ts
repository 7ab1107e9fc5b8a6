/**
 * Keras (channels last, NHWC) -> snnc IR (NCHW) layout conversions, all exact permutations:
 *   Conv2D kernel           [kH, kW, Cin, Cout]  -> [Cout, Cin, kH, kW]
 *   DepthwiseConv2D kernel  [kH, kW, Cin, M]     -> [Cin*M, 1, kH, kW], output channel c*M + m
 *   Dense kernel            [in, out]            -> [out, in], columns permuted after a Flatten
 *   Flatten of [H, W, C]: Keras index (h W + w) C + c; the IR flattens [C, H, W] to c H W + h W + w
 */
import type { Pads } from '../../ir/graph.js';

/** [kH, kW, Cin, Cout] (HWIO) -> [Cout, Cin, kH, kW] (OIHW). */
export function hwioToOihw(k: Float32Array, [kH, kW, cIn, cOut]: readonly number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kH!; y++)
    for (let x = 0; x < kW!; x++)
      for (let i = 0; i < cIn!; i++)
        for (let o = 0; o < cOut!; o++) out[((o * cIn! + i) * kH! + y) * kW! + x] = k[((y * kW! + x) * cIn! + i) * cOut! + o]!;
  return out;
}

/** Depthwise [kH, kW, Cin, M] -> [Cin*M, 1, kH, kW]: TensorFlow numbers output channels c*M + m. */
export function depthwiseToOihw(k: Float32Array, [kH, kW, cIn, m]: readonly number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kH!; y++)
    for (let x = 0; x < kW!; x++)
      for (let c = 0; c < cIn!; c++)
        for (let j = 0; j < m!; j++) out[((c * m! + j) * kH! + y) * kW! + x] = k[((y * kW! + x) * cIn! + c) * m! + j]!;
  return out;
}

/**
 * perm[i] = the Keras (HWC) flat index of the IR's (CHW) flat index i, for Flatten of a
 * [C, H, W] value. Null when both orders agree (H = W = 1).
 */
export function flattenPermutation([c, h, w]: readonly number[]): Int32Array | null {
  if (h! * w! === 1) return null;
  const perm = new Int32Array(c! * h! * w!);
  for (let ch = 0; ch < c!; ch++)
    for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) perm[(ch * h! + y) * w! + x] = (y * w! + x) * c! + ch;
  return perm;
}

/** Dense kernel [in, out] -> IR weight [out, in], where IR input i holds Keras input perm[i]. */
export function denseWeight(k: Float32Array, inCount: number, outCount: number, perm: Int32Array | null): Float32Array {
  const out = new Float32Array(k.length);
  for (let o = 0; o < outCount; o++) for (let i = 0; i < inCount; i++) out[o * inCount + i] = k[(perm ? perm[i]! : i) * outCount + o]!;
  return out;
}

/** Reorders a per-feature vector given in Keras order into IR order. */
export function permuteVector(v: Float32Array, perm: Int32Array | null): Float32Array {
  return perm ? Float32Array.from(perm, (p) => v[p]!) : v;
}

/**
 * TensorFlow's padding 'same' along one axis: output ceil(in / stride), total padding
 * max((out - 1) stride + (k - 1) dilation + 1 - in, 0), the odd cell at the end.
 */
function sameAxis(inLen: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(inLen / stride);
  const total = Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - inLen);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** IR pads [top, left, bottom, right] for Keras padding 'valid' / 'same' on a [C, H, W] input. */
export function kerasPads(
  padding: string,
  shape: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[] = [1, 1],
): Pads {
  if (padding === 'valid') return [0, 0, 0, 0];
  const [top, bottom] = sameAxis(shape[1]!, kernel[0]!, strides[0]!, dilations[0]!);
  const [left, right] = sameAxis(shape[2]!, kernel[1]!, strides[1]!, dilations[1]!);
  return [top, left, bottom, right];
}
