/**
 * Labelled image datasets and the preprocessing that turns raw pixels into model inputs.
 * Images are kept as raw bytes (one byte per pixel value); batches are converted to float32
 * NCHW on demand, so memory holds the dataset once at one byte per value.
 */
import { UserError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { shapeString, sizeOf } from '../ir/tensor.js';

export interface Dataset {
  /** What the user asked for, e.g. "mnist" or "idx:a.gz,b.gz". */
  name: string;
  count: number;
  /** Shape of one image in CHW order, e.g. [1, 28, 28]. */
  sampleShape: number[];
  /** count x sampleShape pixel values 0..255 in CHW order. */
  pixels: Uint8Array;
  labels: Uint8Array;
  numClasses: number;
}

/**
 * Input preprocessing, applied per channel c to raw pixel values p:
 *   x = (p * scale - mean[c]) / std[c]
 * The defaults (scale 1/255, mean 0, std 1) map 0..255 to 0..1.
 */
export interface Preprocess {
  scale: number;
  mean: number[];
  std: number[];
}

export const DEFAULT_PREPROCESS: Preprocess = { scale: 1 / 255, mean: [0], std: [1] };

/** The first `limit` samples (or all). */
export function limitDataset(ds: Dataset, limit?: number): Dataset {
  if (limit === undefined || limit >= ds.count) return ds;
  const per = sizeOf(ds.sampleShape);
  return { ...ds, count: limit, pixels: ds.pixels.subarray(0, limit * per), labels: ds.labels.subarray(0, limit) };
}

/** Checks that the dataset's images fit the model input (same CHW shape, or same size for a flat input). */
export function checkFits(ds: Dataset, modelInput: readonly number[], modelName: string): void {
  const same = shapeString(ds.sampleShape) === shapeString(modelInput);
  const flat = modelInput.length === 1 && modelInput[0] === sizeOf(ds.sampleShape);
  if (!same && !flat) {
    throw new UserError(
      `dataset ${ds.name} has images ${shapeString(ds.sampleShape)} (CHW), model ${modelName} expects input ${shapeString(modelInput)}`,
    );
  }
}

/** Checks that the images fit the network's input and every label names one of its outputs. */
export function checkFitsGraph(ds: Dataset, graph: Graph, modelName: string): void {
  checkFits(ds, graph.input.shape, modelName);
  const classes = sizeOf(inferShapes(graph).get(graph.output)!);
  const i = ds.labels.findIndex((l) => l >= classes);
  if (i >= 0) {
    throw new UserError(`dataset ${ds.name}: label ${ds.labels[i]} of sample ${i} is not a class of model ${modelName}, which has ${classes} outputs`);
  }
}

/** Errors begin with the field at fault (`preprocess.mean:`), which the CLI maps to its flag. */
export function checkPreprocess(pre: Preprocess, channels: number): void {
  for (const [what, v] of [['mean', pre.mean], ['std', pre.std]] as const) {
    if (v.length !== 1 && v.length !== channels) {
      throw new UserError(`preprocess.${what}: ${v.length} values for an input with ${channels} channels (give 1 or ${channels})`);
    }
  }
  if (pre.std.some((s) => s === 0)) throw new UserError('preprocess.std: values must be non-zero');
}

/** Converts samples [start, start+count) to preprocessed float32 NCHW. */
export function preprocessBatch(ds: Dataset, start: number, count: number, pre: Preprocess, out?: Float32Array): Float32Array {
  const per = sizeOf(ds.sampleShape);
  const channels = ds.sampleShape[0]!;
  const plane = per / channels;
  const x = out ?? new Float32Array(count * per);
  const src = ds.pixels.subarray(start * per, (start + count) * per);
  for (let c = 0; c < channels; c++) {
    const mean = pre.mean[pre.mean.length === 1 ? 0 : c]!;
    const std = pre.std[pre.std.length === 1 ? 0 : c]!;
    // x = (p * scale - mean) / std = p * a + b
    const a = pre.scale / std;
    const b = -mean / std;
    for (let n = 0; n < count; n++) {
      const base = n * per + c * plane;
      for (let i = 0; i < plane; i++) x[base + i] = src[base + i]! * a + b;
    }
  }
  return x;
}

/** Largest |x| preprocessing can produce from pixel values 0..255 (Poisson encoding's spike amplitude). */
export function maxAbsInput(pre: Preprocess, channels: number): number {
  let m = 0;
  for (let c = 0; c < channels; c++) {
    const mean = pre.mean[pre.mean.length === 1 ? 0 : c]!;
    const std = pre.std[pre.std.length === 1 ? 0 : c]!;
    m = Math.max(m, Math.abs(-mean / std), Math.abs((255 * pre.scale - mean) / std));
  }
  return m;
}
