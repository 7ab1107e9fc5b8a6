/**
 * Event-driven fully connected layer: y = b + sum over non-zero inputs i of x_i W[:, i]. Cost
 * grows with the number of non-zero inputs (out adds each, no multiply for a spike), against
 * in x out multiply-adds for the dense product.
 */
import type { DenseNode } from '../../ir/graph.js';
import type { Signal } from '../signal.js';
import { nonZerosOfRow, type LinearOp } from './linear-op.js';

export class SparseDense implements LinearOp {
  readonly kind = 'sparse';
  readonly inPer: number;
  readonly outPer: number;
  /** W transposed, [in][out], so that one input's weights are contiguous. */
  private readonly weightT: Float32Array;
  private readonly bias: Float32Array;
  private readonly index: Int32Array;
  private readonly value: Float32Array;

  constructor(node: DenseNode) {
    const [outPer, inPer] = node.weight.dims as [number, number];
    this.inPer = inPer;
    this.outPer = outPer;
    this.weightT = new Float32Array(inPer * outPer);
    for (let o = 0; o < outPer; o++) for (let i = 0; i < inPer; i++) this.weightT[i * outPer + o] = node.weight.data[o * inPer + i]!;
    this.bias = node.bias.data;
    this.index = new Int32Array(inPer);
    this.value = new Float32Array(inPer);
  }

  run(x: Signal, rows: number, y: Float32Array): void {
    const { inPer, outPer, weightT, index, value } = this;
    for (let r = 0; r < rows; r++) {
      const yBase = r * outPer;
      y.set(this.bias, yBase);
      const n = nonZerosOfRow(x, r, inPer, index, value);
      for (let k = 0; k < n; k++) {
        const w = index[k]! * outPer;
        const a = value[k]!;
        if (a === 1) for (let o = 0; o < outPer; o++) y[yBase + o] += weightT[w + o]!;
        else for (let o = 0; o < outPer; o++) y[yBase + o] += a * weightT[w + o]!;
      }
    }
  }
}
