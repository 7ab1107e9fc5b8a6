/**
 * A linear node run by onnxruntime as a single-node model, over the rows of a chunk in slices
 * of at most MAX_ORT_ROWS; the output is written into the caller's buffer (onnxruntime fills
 * a preallocated tensor), so no array is allocated per call.
 */
import { exportOnnx } from '../../io/onnx/export.js';
import type { Graph, Node } from '../../ir/graph.js';
import { sizeOf } from '../../ir/tensor.js';
import { OrtModel, ortModule, type OrtOptions } from '../ort.js';
import type { Signal } from '../signal.js';
import type { LinearOp } from './linear-op.js';

/**
 * Rows per onnxruntime call. A single conv node costs more per row in calls of 400-3200 rows
 * than in calls of ~100 (its working buffers outgrow the caches; measured in BENCHMARKS.md).
 */
export const MAX_ORT_ROWS = 128;

export class OrtLinear implements LinearOp {
  readonly kind = 'ort';
  readonly inPer: number;
  readonly outPer: number;

  private constructor(
    private readonly model: OrtModel,
    private readonly inShape: number[],
    private readonly outShape: number[],
  ) {
    this.inPer = sizeOf(inShape);
    this.outPer = sizeOf(outShape);
  }

  static async create(node: Node, inShape: number[], outShape: number[], options: OrtOptions): Promise<OrtLinear> {
    const single: Graph = {
      name: node.name,
      input: { name: 'x', shape: inShape },
      output: 'y',
      nodes: [{ ...node, inputs: ['x'], output: 'y' } as Node],
    };
    return new OrtLinear(await OrtModel.create(exportOnnx(single), options), inShape, outShape);
  }

  async run(signal: Signal, rows: number, y: Float32Array): Promise<void> {
    const { inPer, outPer } = this;
    const x = signal.data;
    const { Tensor } = ortModule();
    for (let r0 = 0; r0 < rows; r0 += MAX_ORT_ROWS) {
      const n = Math.min(MAX_ORT_ROWS, rows - r0);
      const input = new Tensor('float32', x.subarray(r0 * inPer, (r0 + n) * inPer), [n, ...this.inShape]);
      const output = new Tensor('float32', y.subarray(r0 * outPer, (r0 + n) * outPer), [n, ...this.outShape]);
      await this.model.runInto(input, output);
    }
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}
