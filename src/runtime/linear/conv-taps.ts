/**
 * The receptive fields of a convolution: output (oy, ox) reads input
 * (oy sH - padTop + ky dH, ox sW - padLeft + kx dW) through tap ky kW + kx, when that position
 * lies inside the input. The event-driven kernels (JavaScript, WebAssembly, native) all index
 * their work by these (input position, tap, output position) triples.
 */
import type { ConvNode } from '../../ir/graph.js';

/** Calls `visit(inPos, tap, outPos)` for every tap that lands inside the input, output-major, taps in order. */
export function forEachConvTap(
  node: ConvNode,
  inShape: readonly number[],
  outShape: readonly number[],
  visit: (inPos: number, tap: number, outPos: number) => void,
): void {
  const [, inH, inW] = inShape as [number, number, number];
  const [, outH, outW] = outShape as [number, number, number];
  const [, , kH, kW] = node.weight.dims as [number, number, number, number];
  const [sH, sW] = node.strides;
  const [dH, dW] = node.dilations;
  const [padTop, padLeft] = node.pads;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ky = 0; ky < kH; ky++) {
        for (let kx = 0; kx < kW; kx++) {
          const iy = oy * sH - padTop + ky * dH;
          const ix = ox * sW - padLeft + kx * dW;
          if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) visit(iy * inW + ix, ky * kW + kx, oy * outW + ox);
        }
      }
    }
  }
}
