/**
 * The fast paths of the spiking runtime against its reference path: onnxruntime for every
 * linear op, the shared step() of snn/neuron.ts for every spiking layer, all T steps in one
 * chunk. The fast paths (event-driven pooling, sparse conv / dense, fused scans, chunks of a
 * few steps with state carried over) must give the same spikes and predictions.
 *
 * On the fixtures the weights and inputs are rounded to multiples of 2^-8, so every sum is
 * exact in float32 whatever the order of its terms: the paths must then agree exactly. On a
 * real model they may differ by float rounding (a different summation order can move a
 * membrane across the threshold): counts and predictions must agree within a small margin.
 */
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertAnn } from '../src/convert/convert.js';
import { DEFAULT_CONVERSION } from '../src/model/conversion-settings.js';
import { DEFAULT_PREPROCESS, type Preprocess } from '../src/model/dataset.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import type { ConversionOptions } from '../src/model/conversion-settings.js';
import { loadDataset } from '../src/io/data/registry.js';
import type { Graph, Node } from '../src/ir/graph.js';
import { sizeOf } from '../src/ir/tensor.js';
import { SnnSimulator, type BatchResult, type SimOptions } from '../src/runtime/simulator.js';
import { tempDir, writeIdxDataset } from './helpers/idx.js';
import { randomArray } from './helpers/ort.js';

const SETTINGS: ConversionOptions = { ...DEFAULT_CONVERSION, vInitAuto: false, percentile: 99.9, calibSamples: 100 };

const REFERENCE: SimOptions = { linear: 'dense', scan: 'step', chunkSteps: Number.MAX_SAFE_INTEGER };
const FAST: Record<string, SimOptions> = {
  'event-driven everywhere, chunks of 5 steps': { linear: 'sparse', scan: 'fast', chunkSteps: 5 },
  // JavaScript scans: pools of spikes on the JavaScript event-driven pool, not fused.
  'JavaScript scans, event-driven everywhere, chunks of 3 steps': { linear: 'sparse', scan: 'js', chunkSteps: 3 },
  'default (auto)': {},
};

/** Fixtures, and whether their sums are exact after rounding (else: within float rounding). */
const FIXTURES: { file: string; shape: number[]; exact: boolean; reason?: string }[] = [
  { file: 'convnet.onnx', shape: [1, 18, 18], exact: true },
  { file: 'matmul.onnx', shape: [1, 8, 8], exact: true },
  { file: 'residual.onnx', shape: [2, 6, 6], exact: false, reason: 'global average pooling over 36 cells divides by 36: not a power of two' },
];

const dyadic = (v: number) => Math.round(v * 256) / 256;

/** The graph with every weight and bias rounded to a multiple of 2^-8. */
function roundWeights(g: Graph): Graph {
  const round = (t: { dims: readonly number[]; data: Float32Array }) => ({ dims: t.dims, data: t.data.map(dyadic) });
  return {
    ...g,
    nodes: g.nodes.map((n): Node => {
      if (n.op === 'conv' || n.op === 'dense') return { ...n, weight: round(n.weight), bias: round(n.bias) };
      if (n.op === 'affine') return { ...n, scale: round(n.scale), shift: round(n.shift) };
      return n;
    }),
  };
}

async function convertFixture(file: string, shape: number[], pre: Preprocess = DEFAULT_PREPROCESS) {
  const dir = tempDir();
  const count = 100;
  const pixels = Uint8Array.from(randomArray(count * sizeOf(shape), 7, 0, 256), Math.floor);
  const dims = shape[0] === 1 ? [count, shape[1]!, shape[2]!] : [count, shape[1]!, shape[2]!, shape[0]!];
  const calibData = writeIdxDataset(dir, 'calib', dims, pixels, new Uint8Array(count));
  const ann = (await loadModel(file)) as LoadedAnn;
  return (await convertAnn(ann, pre, SETTINGS, loadDataset(calibData), { batchSize: 50 })).model;
}

async function simulate(g: Graph, T: number, x: Float32Array, batch: number, options: SimOptions): Promise<BatchResult & { executors: Map<string, string> }> {
  const sim = await SnnSimulator.create(g, T, options);
  try {
    const capture = new Set(g.nodes.filter((n) => n.op === 'spike').map((n) => n.name));
    // Two batches through the same simulator: state must not leak from one to the next.
    await sim.runBatch(x.map((v) => 1 - v), batch, { capture });
    const r = await sim.runBatch(x, batch, { capture });
    return { ...r, executors: sim.linearExecutors() };
  } finally {
    await sim.release();
  }
}

function sum(a: Float32Array): number {
  return a.reduce((s, v) => s + v, 0);
}

describe.each(FIXTURES)('$file: fast paths against the reference path', ({ file, shape, exact }) => {
  it.each(Object.entries(FAST))('%s', async (_, options) => {
    const model = await convertFixture(path.join('fixtures/onnx', file), shape);
    const g = exact ? roundWeights(model.snn) : model.snn;
    const batch = 12;
    const T = 23;
    const x = randomArray(batch * sizeOf(shape), 3, 0, 1).map(dyadic);
    const ref = await simulate(g, T, x, batch, REFERENCE);
    const fast = await simulate(g, T, x, batch, options);
    expect([...fast.executors.values()].every((e) => e !== 'undecided')).toBe(true);
    expect(sum(ref.counts.values().next().value!)).toBeGreaterThan(0);
    for (const [layer, counts] of ref.counts) {
      if (exact) expect(Array.from(fast.counts.get(layer)!), layer).toEqual(Array.from(counts));
      else expect(Math.abs(sum(fast.counts.get(layer)!) - sum(counts)), layer).toBeLessThanOrEqual(1e-3 * sum(counts) + 2);
    }
    if (exact) {
      expect(Array.from(fast.predictions)).toEqual(Array.from(ref.predictions));
      expect(fast.activity).toEqual(ref.activity);
      expect(fast.inputEvents).toEqual(ref.inputEvents);
    } else {
      const same = fast.predictions.filter((p, i) => p === ref.predictions[i]).length;
      expect(same / ref.predictions.length).toBeGreaterThanOrEqual(0.98);
    }
  });
});

const REAL = process.env.SNNC_REAL_MNIST_ONNX ?? path.resolve('../shared/realmodels/onnx-mnist8-zoo/model.onnx');

describe.skipIf(!fs.existsSync(REAL))('a real MNIST CNN (ONNX model zoo mnist-8): fast paths against the reference path', () => {
  it('agrees within float rounding on spike counts per layer and predictions per step', async () => {
    const pre: Preprocess = { scale: 1, mean: [0], std: [1] };
    const ann = (await loadModel(REAL)) as LoadedAnn;
    const { model } = await convertAnn(ann, pre, { ...SETTINGS, calibSamples: 100 }, loadDataset('mnist:train'), { batchSize: 50 });
    const { preprocessBatch } = await import('../src/model/dataset.js');
    const batch = 20;
    const x = preprocessBatch(loadDataset('mnist'), 0, batch, pre);
    const T = 24;
    const ref = await simulate(model.snn, T, x, batch, REFERENCE);
    for (const options of Object.values(FAST)) {
      const fast = await simulate(model.snn, T, x, batch, options);
      for (const [layer, counts] of ref.counts) {
        const total = sum(counts);
        expect(total, layer).toBeGreaterThan(0);
        expect(Math.abs(sum(fast.counts.get(layer)!) - total) / total, layer).toBeLessThan(1e-3);
      }
      const same = fast.predictions.filter((p, i) => p === ref.predictions[i]).length;
      expect(same / ref.predictions.length).toBeGreaterThanOrEqual(0.99);
    }
  });
});
