/**
 * The native event-driven executors (native/linear.c, built by scripts/build-native.mjs with
 * the machine's C compiler) against onnxruntime's dense path:
 *
 * - conv and dense kernels on inputs whose sums are exact in float32 whatever their order
 *   (weights multiples of 2^-8, inputs j / 4 as pooled spikes): onnxruntime's outputs bit for
 *   bit, over strides, pads, dilations and channel counts that exercise the 64-channel body,
 *   the 16-channel tail, more than 16 input channels and partial tiles of output positions,
 *   with and without product tables;
 * - on general float data: within float rounding of onnxruntime (the sums run in another
 *   order), and the same bits as the WebAssembly kernels, which sum in the same order;
 * - the shipped MNIST CNN on real test images with the default executors (the native conv
 *   and dense layers, chosen by cost): onnxruntime's dense path spike for spike but for float
 *   rounding;
 * - the addon in worker threads, unaligned weights, and shape errors that throw instead of
 *   reading outside an array.
 *
 * With SNNC_NATIVE=0 (or no C compiler) the native cases are skipped; the WebAssembly cases of
 * runtime-wasm-linear.test.ts cover the fallback.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ConvNode, DenseNode, Graph } from '../src/ir/graph.js';
import { sizeOf, tensor } from '../src/ir/tensor.js';
import { NativeConv, NativeDense } from '../src/runtime/linear/native-linear.js';
import { WasmConv, WasmDense } from '../src/runtime/linear/wasm-linear.js';
import { nativeKernels, nativeStatus } from '../src/runtime/native/addon.js';
import { SnnSimulator, type BatchResult, type SimOptions } from '../src/runtime/simulator.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { convertAnn } from '../src/convert/convert.js';
import { DEFAULT_CONVERSION } from '../src/model/conversion-settings.js';
import { loadDataset } from '../src/io/data/registry.js';
import { preprocessBatch } from '../src/model/dataset.js';
import { randomArray } from './helpers/ort.js';
import { exactConv, dyadic, ortOutputs, pooledRows, type ConvCase } from './helpers/exact-linear.js';

/** General floats with about `density` of them non-zero. */
function sparseFloats(n: number, density: number, seed: number): Float32Array {
  const u = randomArray(n, seed, 0, 1);
  const v = randomArray(n, seed + 1, -2, 2);
  return u.map((x, i) => (x < density ? v[i]! : 0));
}

function hasCompiler(): boolean {
  try {
    execFileSync(process.env.CC || 'cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const native = nativeKernels() !== null;

describe('the native library', () => {
  it.skipIf(process.env.SNNC_NATIVE === '0' || !hasCompiler())('is built and loads where there is a C compiler', () => {
    expect(native, nativeStatus()).toBe(true);
    expect(nativeStatus()).toMatch(/^native kernels: C/);
  });
});

const CONVS: ConvCase[] = [
  { name: '32 -> 64 3x3 pad 1 (the CNN second conv)', cIn: 32, hw: [14, 14], cOut: 64, k: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
  { name: '3 -> 37 5x3 stride 2 uneven pads', cIn: 3, hw: [9, 11], cOut: 37, k: [5, 3], strides: [2, 2], pads: [2, 0, 1, 1], dilations: [1, 1] },
  { name: '5 -> 6 3x3 dilation 2, no pad', cIn: 5, hw: [10, 7], cOut: 6, k: [3, 3], strides: [1, 2], pads: [0, 0, 0, 0], dilations: [2, 1] },
  { name: '40 -> 80 3x3 pad 1 on 5x7', cIn: 40, hw: [5, 7], cOut: 80, k: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
  { name: '17 -> 130 1x1 on 6x6', cIn: 17, hw: [6, 6], cOut: 130, k: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] },
];

describe.skipIf(!native).each(CONVS)('native conv $name', (spec) => {
  const { cIn, cOut, k } = spec;
  const { node, inShape, outShape } = exactConv(spec);

  it.each([true, false])('equals onnxruntime bit for bit on exact sums (product tables: %s)', async (tables) => {
    const rows = 19;
    const x = pooledRows(rows * sizeOf(inShape), 0.3, 5);
    const want = await ortOutputs(node, inShape, outShape, x, rows);
    const got = new Float32Array(want.length);
    NativeConv.create(node, inShape, outShape)!.run({ data: x, temporal: true, ...(tables ? { levels: 4 } : {}) }, rows, got);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('general floats: within rounding of onnxruntime, the WebAssembly kernel bit for bit', async () => {
    const rows = 9;
    const general: ConvNode = { ...node, weight: tensor(node.weight.dims, randomArray(sizeOf(node.weight.dims), 11)), bias: tensor([cOut], randomArray(cOut, 12)) };
    const x = sparseFloats(rows * sizeOf(inShape), 0.25, 13);
    const want = await ortOutputs(general, inShape, outShape, x, rows);
    const got = new Float32Array(want.length);
    NativeConv.create(general, inShape, outShape)!.run({ data: x, temporal: true }, rows, got);
    // Each output sums at most cIn kH kW products of magnitude below 2: the rounding of either
    // order is a few ulps of that bound.
    const bound = cIn * k[0] * k[1] * 2 * 2 ** -20;
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(bound));
    const wasm = new Float32Array(want.length);
    WasmConv.create(general, inShape, outShape)!.run({ data: x, temporal: true }, rows, wasm);
    expect(Array.from(got)).toEqual(Array.from(wasm));
  });
});

describe.skipIf(!native).each([10, 130, 64])('native dense 300 -> %i', (out) => {
  const node: DenseNode = { op: 'dense', name: 'd', inputs: ['x'], output: 'y', weight: tensor([out, 300], dyadic(randomArray(out * 300, 6))), bias: tensor([out], dyadic(randomArray(out, 7))) };

  it('equals onnxruntime bit for bit on exact sums', async () => {
    const rows = 21;
    const x = pooledRows(rows * 300, 0.2, 8);
    const want = await ortOutputs(node, [300], [out], x, rows);
    const got = new Float32Array(want.length);
    NativeDense.create(node)!.run({ data: x, temporal: true }, rows, got);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('general floats: within rounding of onnxruntime, the WebAssembly kernel bit for bit', async () => {
    const rows = 13;
    const general: DenseNode = { ...node, weight: tensor([out, 300], randomArray(out * 300, 21)), bias: tensor([out], randomArray(out, 22)) };
    const x = sparseFloats(rows * 300, 0.2, 23);
    const want = await ortOutputs(general, [300], [out], x, rows);
    const got = new Float32Array(want.length);
    NativeDense.create(general)!.run({ data: x, temporal: true }, rows, got);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(300 * 2 * 2 ** -20));
    const wasm = new Float32Array(want.length);
    WasmDense.create(general)!.run({ data: x, temporal: true }, rows, wasm);
    expect(Array.from(got)).toEqual(Array.from(wasm));
  });
});

describe.skipIf(!native)('the addon itself', () => {
  it('gives the same outputs from weights at any alignment (it copies unaligned ones)', () => {
    const k = nativeKernels()!;
    const [inPer, outPer, outPad, rows] = [50, 20, 32, 6];
    const w = randomArray(inPer * outPad + 16, 31);
    const bias = randomArray(outPad, 32);
    const x = sparseFloats(rows * inPer, 0.3, 33);
    const misaligned: number[] = [];
    const outputs = [0, 1, 2, 3].map((shift) => {
      const y = new Float32Array(rows * outPer);
      const weights = new Float32Array(inPer * outPad + 16).subarray(shift, shift + inPer * outPad);
      weights.set(w.subarray(0, inPer * outPad));
      misaligned.push(k.misalignment(weights));
      k.denseEvents(x, y, rows, inPer, outPer, outPad, weights, bias);
      return Array.from(y);
    });
    expect(misaligned.some((m) => m !== 0)).toBe(true);
    for (const o of outputs) expect(o).toEqual(outputs[0]);
  });

  it('never reads outside its product tables, whatever values an input claiming levels holds', () => {
    const node: ConvNode = { op: 'conv', name: 'c', inputs: ['x'], output: 'y', weight: tensor([16, 3, 3, 3], randomArray(16 * 27, 41)), bias: tensor([16], randomArray(16, 42)), strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 };
    const x = sparseFloats(2 * 3 * 25, 0.5, 43).map((v) => v * 100);
    const y = new Float32Array(2 * 16 * 25);
    NativeConv.create(node, [3, 5, 5], [16, 5, 5])!.run({ data: x, temporal: true, levels: 4 }, 2, y);
    expect(y.every(Number.isFinite)).toBe(true);
  });

  it('throws on arrays shorter than their shapes instead of reading past them', () => {
    const k = nativeKernels()!;
    expect(() => k.denseEvents(new Float32Array(10), new Float32Array(4), 2, 10, 2, 16, new Float32Array(160), new Float32Array(16))).toThrow(/shorter than its shape/);
    expect(() => k.denseEvents(new Float32Array(20), new Float32Array(4), 2, 10, 2, 15, new Float32Array(160), new Float32Array(16))).toThrow(/invalid shape/);
    const pairStart = Int32Array.of(0, 1);
    expect(() => k.convEvents(new Float32Array(4), new Float32Array(16), 1, 1, 4, 16, 16, 1, 1, pairStart, Int32Array.of(9, 0), new Float32Array(16), new Float32Array(16), 0)).toThrow(/outside the input/);
  });

  it('loads and runs in worker threads beside the main thread (a context-aware module)', async () => {
    const file = fileURLToPath(new URL('../dist/native/snnc.node', import.meta.url));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const k = require(workerData.file);
      const y = new Float32Array(2);
      k.denseEvents(Float32Array.of(1, 0, 0.5), y, 1, 3, 2, 16, workerData.w, new Float32Array(16));
      parentPort.postMessage(Array.from(y));`;
    const w = new Float32Array(48);
    w.set([1, 2], 0);
    w.set([3, 4], 16);
    w.set([8, 16], 32);
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { file, w } });
        worker.once('message', (m: number[]) => void worker.terminate().then(() => resolve(m)));
        worker.once('error', reject);
      });
    // y = 1 (1, 2) + 0.5 (8, 16), by hand.
    expect(await Promise.all([run(), run()])).toEqual([
      [5, 10],
      [5, 10],
    ]);
  });
});

describe.skipIf(!native)('the shipped MNIST CNN on real test images against onnxruntime dense', () => {
  async function simulate(snn: Graph, x: Float32Array, batch: number, T: number, options: SimOptions): Promise<{ result: BatchResult; executors: Map<string, string> }> {
    const sim = await SnnSimulator.create(snn, T, options);
    try {
      const result = await sim.runBatch(x, batch, { capture: new Set(snn.nodes.filter((n) => n.op === 'spike').map((n) => n.name)) });
      return { result, executors: sim.linearExecutors() };
    } finally {
      await sim.release();
    }
  }

  it('the default executors (native conv and dense, by cost) give the dense path spike for spike but for float rounding', async () => {
    const ann = (await loadModel('models/mnist-cnn.onnx')) as LoadedAnn;
    const { model } = await convertAnn(ann, { scale: 1 / 255, mean: [0], std: [1] }, { ...DEFAULT_CONVERSION, calibSamples: 100 }, loadDataset('mnist:train'), { batchSize: 50, threads: 1 });
    const batch = 24;
    const T = 16;
    const x = preprocessBatch(loadDataset('mnist'), 0, batch, model.preprocess);
    const dense = await simulate(model.snn, x, batch, T, { linear: 'dense', threads: 1 });
    const auto = await simulate(model.snn, x, batch, T, { linear: 'auto', threads: 1 });
    expect(auto.executors.get('/4/Conv')).toBe('native');
    expect(auto.executors.get('/8/Gemm')).toBe('native');
    let spikes = 0;
    let moved = 0;
    for (const [layer, counts] of dense.result.counts) {
      const other = auto.result.counts.get(layer)!;
      counts.forEach((c, i) => {
        spikes += c;
        moved += Math.abs(c - other[i]!);
      });
    }
    expect(spikes).toBeGreaterThan(10_000);
    // Different summation orders move a membrane across the threshold now and then.
    expect(moved / spikes).toBeLessThan(1e-3);
    expect(auto.result.inputEvents.get('/4/Conv')).toBeGreaterThan(0);
    const same = auto.result.predictions.filter((p, i) => p === dense.result.predictions[i]).length;
    expect(same / batch).toBeGreaterThanOrEqual(0.99);
  });
});
