/**
 * The WebAssembly event-driven executors (wasm/linear.ts) and the pooling fused into the
 * scans, against onnxruntime's dense path:
 *
 * - conv and dense kernels on inputs whose sums are exact in float32 whatever their order
 *   (weights multiples of 2^-8, inputs j / 4 as pooled spikes): the same outputs as
 *   onnxruntime bit for bit (and so do the JavaScript kernels used where the WebAssembly is
 *   not built), over strides, pads, dilations and channel counts that exercise
 *   the 32-channel body and the four-channel tail, with and without product tables;
 * - the shipped MNIST CNN on real test images: the default run (pools fused into the scans)
 *   gives onnxruntime's dense path spike for spike; the event-driven conv and dense layers
 *   differ from onnxruntime's sums only by float rounding (a few spikes in a hundred thousand).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DenseNode, Graph } from '../src/ir/graph.js';
import { sizeOf, tensor } from '../src/ir/tensor.js';
import { WasmConv, WasmDense } from '../src/runtime/linear/wasm-linear.js';
import { SparseConv } from '../src/runtime/linear/sparse-conv.js';
import { SparseDense } from '../src/runtime/linear/sparse-dense.js';
import { SnnSimulator, type BatchResult, type SimOptions } from '../src/runtime/simulator.js';
import { wasmAvailable } from '../src/runtime/wasm/module.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { convertAnn } from '../src/convert/convert.js';
import { DEFAULT_CONVERSION } from '../src/model/conversion-settings.js';
import { loadDataset } from '../src/io/data/registry.js';
import { preprocessBatch } from '../src/model/dataset.js';
import { randomArray } from './helpers/ort.js';
import { exactConv, dyadic, ortOutputs, pooledRows, type ConvCase } from './helpers/exact-linear.js';

beforeAll(() => {
  expect(wasmAvailable(), 'dist/wasm/kernels.wasm is built by npm run build:wasm').toBe(true);
});

const CONVS: ConvCase[] = [
  { name: '32 -> 64 3x3 pad 1 (the CNN second conv)', cIn: 32, hw: [14, 14], cOut: 64, k: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
  { name: '3 -> 37 5x3 stride 2 uneven pads', cIn: 3, hw: [9, 11], cOut: 37, k: [5, 3], strides: [2, 2], pads: [2, 0, 1, 1], dilations: [1, 1] },
  { name: '5 -> 6 3x3 dilation 2, no pad', cIn: 5, hw: [10, 7], cOut: 6, k: [3, 3], strides: [1, 2], pads: [0, 0, 0, 0], dilations: [2, 1] },
];

describe.each(CONVS)('WebAssembly conv $name', (spec) => {
  const { node, inShape, outShape } = exactConv(spec);
  it.each([true, false])('equals onnxruntime bit for bit on exact sums (product tables: %s)', async (tables) => {
    const rows = 19;
    const x = pooledRows(rows * sizeOf(inShape), 0.3, 5);
    const want = await ortOutputs(node, inShape, outShape, x, rows);
    const got = new Float32Array(want.length);
    WasmConv.create(node, inShape, outShape)!.run({ data: x, temporal: true, ...(tables ? { levels: 4 } : {}) }, rows, got);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
  it('the JavaScript fallback equals onnxruntime bit for bit on exact sums', async () => {
    const rows = 7;
    const x = pooledRows(rows * sizeOf(inShape), 0.3, 9);
    const want = await ortOutputs(node, inShape, outShape, x, rows);
    const got = new Float32Array(want.length);
    new SparseConv(node, inShape, outShape).run({ data: x, temporal: true }, rows, got);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

describe.each([10, 130])('WebAssembly dense 300 -> %i', (out) => {
  it('equals onnxruntime bit for bit on exact sums', async () => {
    const node: DenseNode = { op: 'dense', name: 'd', inputs: ['x'], output: 'y', weight: tensor([out, 300], dyadic(randomArray(out * 300, 6))), bias: tensor([out], dyadic(randomArray(out, 7))) };
    const rows = 21;
    const x = pooledRows(rows * 300, 0.2, 8);
    const want = await ortOutputs(node, [300], [out], x, rows);
    const got = new Float32Array(want.length);
    WasmDense.create(node)!.run({ data: x, temporal: true }, rows, got);
    expect(Array.from(got)).toEqual(Array.from(want));
    const js = new Float32Array(want.length);
    new SparseDense(node).run({ data: x, temporal: true }, rows, js);
    expect(Array.from(js), 'the JavaScript fallback').toEqual(Array.from(want));
  });
});

describe('the shipped MNIST CNN on real test images against onnxruntime dense', () => {
  async function simulate(snn: Graph, x: Float32Array, batch: number, T: number, options: SimOptions): Promise<BatchResult> {
    const sim = await SnnSimulator.create(snn, T, options);
    try {
      return await sim.runBatch(x, batch, { capture: new Set(snn.nodes.filter((n) => n.op === 'spike').map((n) => n.name)) });
    } finally {
      await sim.release();
    }
  }

  it('pools fused into the scans: spike for spike; event-driven conv and dense: within float rounding', async () => {
    const ann = (await loadModel('models/mnist-cnn.onnx')) as LoadedAnn;
    const { model } = await convertAnn(ann, { scale: 1 / 255, mean: [0], std: [1] }, { ...DEFAULT_CONVERSION, vInitAuto: false, calibSamples: 100 }, loadDataset('mnist:train'), { batchSize: 50, threads: 1 });
    const batch = 24;
    const T = 16;
    const x = preprocessBatch(loadDataset('mnist'), 0, batch, model.preprocess);
    const dense = await simulate(model.snn, x, batch, T, { linear: 'dense', threads: 1 });
    const fused = await simulate(model.snn, x, batch, T, { linear: 'auto', threads: 1, executors: { '/4/Conv': 'ort', '/8/Gemm': 'ort', '/11/Gemm': 'ort' } });
    const events = await simulate(model.snn, x, batch, T, { linear: 'sparse', threads: 1 });
    let spikes = 0;
    let moved = 0;
    for (const [layer, counts] of dense.counts) {
      expect(Array.from(fused.counts.get(layer)!), layer).toEqual(Array.from(counts));
      const other = events.counts.get(layer)!;
      counts.forEach((c, i) => {
        spikes += c;
        moved += Math.abs(c - other[i]!);
      });
    }
    expect(Array.from(fused.predictions)).toEqual(Array.from(dense.predictions));
    expect(fused.inputEvents).toEqual(dense.inputEvents);
    expect(spikes).toBeGreaterThan(10_000);
    // Different summation orders move a membrane across the threshold now and then.
    expect(moved / spikes).toBeLessThan(1e-3);
    const same = events.predictions.filter((p, i) => p === dense.predictions[i]).length;
    expect(same / dense.predictions.length).toBeGreaterThanOrEqual(0.99);
  });
});
