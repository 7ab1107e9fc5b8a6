/**
 * Event-driven 2-D convolution (group 1): every non-zero input x[c, y, x] adds
 * x[c, y, x] W[:, c, ky, kx] to the outputs whose receptive field holds it. Cost grows with the
 * number of non-zero inputs (Cout kH kW adds each at most), against Cout Cin kH kW outH outW
 * multiply-adds for the dense convolution.
 */
import type { ConvNode } from '../../ir/graph.js';
import type { Signal } from '../signal.js';
import { forEachConvTap } from './conv-taps.js';
import { nonZerosOfRow, type LinearOp } from './linear-op.js';
import { InternalError } from '../../errors.js';

export class SparseConv implements LinearOp {
  readonly kind = 'sparse';
  readonly inPer: number;
  readonly outPer: number;
  private readonly cOut: number;
  private readonly inPlane: number;
  private readonly outPlane: number;
  private readonly taps: number;
  /** Weights [cIn][ky kx][cOut]: the output-channel vector of one input channel and tap. */
  private readonly weightR: Float32Array;
  private readonly bias: Float32Array;
  /** For input position p: pairs (tap, output position) in tapStart[p] .. tapStart[p + 1]. */
  private readonly tapStart: Int32Array;
  private readonly tapOf: Int32Array;
  private readonly outOf: Int32Array;
  private readonly index: Int32Array;
  private readonly value: Float32Array;

  constructor(node: ConvNode, inShape: readonly number[], outShape: readonly number[]) {
    if (node.group !== 1) throw new InternalError(`sparse conv ${node.name} needs group 1, got ${node.group}`);
    const [cIn, inH, inW] = inShape as [number, number, number];
    const [cOut, outH, outW] = outShape as [number, number, number];
    const [, , kH, kW] = node.weight.dims as [number, number, number, number];
    this.cOut = cOut;
    this.inPlane = inH * inW;
    this.outPlane = outH * outW;
    this.inPer = cIn * this.inPlane;
    this.outPer = cOut * this.outPlane;
    this.taps = kH * kW;
    this.weightR = new Float32Array(cIn * this.taps * cOut);
    for (let o = 0; o < cOut; o++) {
      for (let c = 0; c < cIn; c++) {
        for (let k = 0; k < this.taps; k++) this.weightR[(c * this.taps + k) * cOut + o] = node.weight.data[(o * cIn + c) * this.taps + k]!;
      }
    }
    this.bias = node.bias.data;
    const pairs: [number, number, number][] = [];
    forEachConvTap(node, inShape, outShape, (inPos, tap, outPos) => pairs.push([inPos, tap, outPos]));
    pairs.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
    this.tapStart = new Int32Array(this.inPlane + 1);
    this.tapOf = Int32Array.from(pairs, (p) => p[1]);
    this.outOf = Int32Array.from(pairs, (p) => p[2]);
    for (const [p] of pairs) this.tapStart[p + 1]!++;
    for (let p = 0; p < this.inPlane; p++) this.tapStart[p + 1]! += this.tapStart[p]!;
    this.index = new Int32Array(this.inPer);
    this.value = new Float32Array(this.inPer);
  }

  run(x: Signal, rows: number, y: Float32Array): void {
    const { cOut, inPlane, outPlane, taps, weightR, tapStart, tapOf, outOf, index, value } = this;
    for (let r = 0; r < rows; r++) {
      const yBase = r * this.outPer;
      for (let o = 0; o < cOut; o++) y.fill(this.bias[o]!, yBase + o * outPlane, yBase + (o + 1) * outPlane);
      const n = nonZerosOfRow(x, r, this.inPer, index, value);
      for (let k = 0; k < n; k++) {
        const i = index[k]!;
        const a = value[k]!;
        const c = (i / inPlane) | 0;
        const p = i - c * inPlane;
        for (let j = tapStart[p]!; j < tapStart[p + 1]!; j++) {
          const w = (c * taps + tapOf[j]!) * cOut;
          const at = yBase + outOf[j]!;
          for (let o = 0; o < cOut; o++) y[at + o * outPlane] += a * weightR[w + o]!;
        }
      }
    }
  }
}
