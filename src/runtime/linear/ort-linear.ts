/**
 * A linear node run by onnxruntime as a single-node model over `rows` samples at once; the
 * output is written into the caller's buffer (onnxruntime fills a preallocated tensor), so
 * no array is allocated per call.
 */
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../../io/onnx/export.js';
import type { Graph, Node } from '../../ir/graph.js';
import { sizeOf } from '../../ir/tensor.js';
import { OrtModel, type OrtOptions } from '../ort.js';
import type { LinearOp } from './linear-op.js';

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

  async run(x: Float32Array, rows: number, y: Float32Array): Promise<void> {
    const input = new ort.Tensor('float32', x.subarray(0, rows * this.inPer), [rows, ...this.inShape]);
    const output = new ort.Tensor('float32', y.subarray(0, rows * this.outPer), [rows, ...this.outShape]);
    await this.model.runInto(input, output);
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}
