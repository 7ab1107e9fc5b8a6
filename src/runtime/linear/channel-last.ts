/**
 * The weight layouts the vectorised event-driven kernels (WebAssembly and native) share: one
 * input event adds a contiguous row of output-channel weights, so weights are stored
 * channel-last and padded to the kernel's vector width; inputs of few levels (pooled spikes)
 * run on product tables so that the kernel only adds.
 */
import type { ConvNode, DenseNode } from '../../ir/graph.js';
import { forEachConvTap } from './conv-taps.js';

/** Largest product-table size (levels x weights, bytes) kept for inputs of few levels. */
export const MAX_TABLE_BYTES = 8 * 2 ** 20;

/**
 * For each output position o, the (input position, tap x `tapStride`) pairs inside the input,
 * in tap order, at pairs[2 pairStart[o]] .. pairs[2 pairStart[o + 1]] (`tapStride`: the
 * distance between two taps' weight rows in the kernel's units, floats or bytes).
 */
export function convPairs(node: ConvNode, inShape: readonly number[], outShape: readonly number[], tapStride: number): { pairStart: Int32Array; pairs: Int32Array } {
  const outPlane = outShape[1]! * outShape[2]!;
  const pairs: number[] = [];
  const pairStart = new Int32Array(outPlane + 1);
  forEachConvTap(node, inShape, outShape, (inPos, tap, outPos) => {
    pairs.push(inPos, tap * tapStride);
    pairStart[outPos + 1]!++;
  });
  for (let o = 0; o < outPlane; o++) pairStart[o + 1]! += pairStart[o]!;
  return { pairStart, pairs: Int32Array.from(pairs) };
}

/** Conv weights [cOut][cIn][tap] into `out` as [cIn][tap][cOutPad], zero in the padding. */
export function convWeightsChannelLast(node: ConvNode, cOutPad: number, out: Float32Array): void {
  const [cOut, cIn, kH, kW] = node.weight.dims as [number, number, number, number];
  const taps = kH * kW;
  out.fill(0);
  for (let o = 0; o < cOut; o++) {
    for (let c = 0; c < cIn; c++) for (let k = 0; k < taps; k++) out[(c * taps + k) * cOutPad + o] = node.weight.data[(o * cIn + c) * taps + k]!;
  }
}

/** Dense weights [out][in] into `out` as [in][outPad], zero in the padding. */
export function denseWeightsTransposed(node: DenseNode, outPad: number, out: Float32Array): void {
  const [outPer, inPer] = node.weight.dims as [number, number];
  out.fill(0);
  for (let o = 0; o < outPer; o++) for (let i = 0; i < inPer; i++) out[i * outPad + o] = node.weight.data[o * inPer + i]!;
}

/** The product-table levels for an input of `levels` levels over `weights` weights: 0 (multiply) when none or too large. */
export function tableLevels(levels: number, weights: number): number {
  return levels > 0 && levels * weights * 4 <= MAX_TABLE_BYTES ? levels : 0;
}

/**
 * Table j - 1 holds each weight times fround(j / levels), rounded to float32: the product a
 * float32 multiply gives (a double product rounded to float32 is the correctly rounded float32
 * product), so a kernel adding table entries sums exactly what a multiplying one would.
 */
export function fillProductTables(weights: Float32Array, levels: number, out: Float32Array): void {
  const n = weights.length;
  for (let j = 1; j <= levels; j++) {
    const x = Math.fround(j / levels);
    for (let i = 0; i < n; i++) out[(j - 1) * n + i] = x * weights[i]!;
  }
}
