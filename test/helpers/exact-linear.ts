/**
 * Fixtures for checking event-driven linear kernels (WebAssembly, native, JavaScript) against
 * onnxruntime's dense path bit for bit: weights that are multiples of 2^-8 and inputs j / 4
 * (pooled spikes of a 2x2 pool) make every float32 sum exact whatever its order, so any
 * difference is a kernel bug, not rounding.
 */
import type { ConvNode, DenseNode, Graph } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/ir/shapes.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import { OrtLinear } from '../../src/runtime/linear/ort-linear.js';
import { randomArray } from './ort.js';

/** Rounds to multiples of 2^-8. */
export const dyadic = (a: Float32Array) => a.map((v) => Math.round(v * 256) / 256);

/** Rows of j / 4 with about `density` of them non-zero (pooled spikes of a 2x2 pool). */
export function pooledRows(n: number, density: number, seed: number): Float32Array {
  const u = randomArray(n, seed, 0, 1);
  const j = randomArray(n, seed + 1, 1, 5);
  return u.map((v, i) => (v < density ? Math.fround(Math.floor(j[i]!) / 4) : 0));
}

export interface ConvCase {
  name: string;
  cIn: number;
  hw: [number, number];
  cOut: number;
  k: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  dilations: [number, number];
}

/** A one-node conv graph with dyadic weights and bias, and its input and output shapes. */
export function exactConv({ cIn, hw, cOut, k, strides, pads, dilations }: ConvCase): { node: ConvNode; inShape: number[]; outShape: number[] } {
  const node: ConvNode = {
    op: 'conv',
    name: 'c',
    inputs: ['x'],
    output: 'y',
    weight: tensor([cOut, cIn, k[0], k[1]], dyadic(randomArray(cOut * cIn * k[0] * k[1], 3))),
    bias: tensor([cOut], dyadic(randomArray(cOut, 4))),
    strides,
    pads,
    dilations,
    group: 1,
  };
  const inShape = [cIn, ...hw];
  const g: Graph = { name: 'g', input: { name: 'x', shape: inShape }, output: 'y', nodes: [node] };
  return { node, inShape, outShape: inferShapes(g).get('y')! };
}

/** onnxruntime's dense outputs of one conv or dense node on `rows` input rows. */
export async function ortOutputs(node: ConvNode | DenseNode, inShape: number[], outShape: number[], x: Float32Array, rows: number): Promise<Float32Array> {
  const ort = await OrtLinear.create(node, inShape, outShape, { threads: 1 });
  const want = new Float32Array(rows * sizeOf(outShape));
  await ort.run({ data: x, temporal: true }, rows, want);
  await ort.release();
  return want;
}
