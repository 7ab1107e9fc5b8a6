/**
 * The reference ANN: the IR exported to ONNX and run by onnxruntime. Gives the ANN's
 * predictions and, for calibration, the activations of chosen values.
 */
import type { Dataset, Preprocess } from '../model/dataset.js';
import { preprocessBatch } from '../model/dataset.js';
import { exportOnnx } from '../io/onnx/export.js';
import type { Graph } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { checkAllocation, defaultMaxMemoryBytes } from '../util/memory-limit.js';
import { OrtModel, type OrtOptions } from './ort.js';

export interface AnnRunOptions extends OrtOptions {
  batchSize: number;
  /** Values whose activations the caller wants to see (besides the graph output). */
  watch?: string[];
  onBatch?: (done: number, total: number) => void;
  /** The run's memory budget (--max-memory); default: half of this machine's memory. */
  maxMemoryBytes?: number;
}

/** Index of the largest of `n` values starting at `offset` (the first one on ties). */
export function argmax(data: Float32Array, offset: number, n: number): number {
  let best = 0;
  let bestValue = data[offset]!;
  for (let i = 1; i < n; i++) {
    const v = data[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * Runs the ANN over the dataset in batches. `visit` sees each batch's outputs (graph output
 * and watched values, each [batch, ...]) before the next batch runs. Returns the predicted class of every sample.
 */
export async function runAnn(
  graph: Graph,
  ds: Dataset,
  pre: Preprocess,
  options: AnnRunOptions,
  visit?: (outputs: Map<string, Float32Array>, start: number, count: number) => void,
): Promise<Uint16Array> {
  // One batch of inputs and of every output onnxruntime returns (the watched values too) must fit the memory limit.
  const shapes = inferShapes(graph);
  const perSample = [graph.input.name, graph.output, ...(options.watch ?? [])].reduce((n, v) => n + sizeOf(shapes.get(v)!), 0);
  checkAllocation(options.batchSize * perSample * 4, `batch ${options.batchSize}: one batch of inputs and outputs`, options.maxMemoryBytes ?? defaultMaxMemoryBytes());
  const model = await OrtModel.create(exportOnnx(graph, { extraOutputs: options.watch }), options);
  const predictions = new Uint16Array(ds.count);
  try {
    const inputShape = graph.input.shape;
    const per = sizeOf(inputShape);
    const buffer = new Float32Array(options.batchSize * per);
    for (let start = 0; start < ds.count; start += options.batchSize) {
      const count = Math.min(options.batchSize, ds.count - start);
      const x = preprocessBatch(ds, start, count, pre, buffer.subarray(0, count * per));
      const outputs = await model.run(x, count, inputShape);
      const logits = outputs.get(graph.output)!;
      const classes = logits.length / count;
      for (let i = 0; i < count; i++) predictions[start + i] = argmax(logits, i * classes, classes);
      visit?.(outputs, start, count);
      options.onBatch?.(start + count, ds.count);
    }
  } finally {
    await model.release();
  }
  return predictions;
}

export function accuracyOf(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / labels.length;
}
