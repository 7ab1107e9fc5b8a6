/**
 * Real third-party models (test/external/models.ts): each loads, matches its own runtime on
 * the same inputs (onnxruntime on the original ONNX file, TF.js predict() for TF.js), and
 * converts through the CLI. MNIST models are evaluated on MNIST with their preprocessing flags;
 * CIFAR-10 models (no CIFAR data here) on synthetic images labelled by the original model on
 * onnxruntime, so that accuracy is agreement with the original. DoodleNet is refused by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { preprocessBatch, type Dataset } from '../../src/model/dataset.js';
import { loadModel } from '../../src/convert/load-model.js';
import type { LoadedAnn } from '../../src/io/load-model.js';
import { exportOnnx } from '../../src/io/onnx/export.js';
import { decodeTensor, onnx } from '../../src/io/onnx/proto.js';
import { sizeOf } from '../../src/ir/tensor.js';
import { verify } from '../../src/ir/verify.js';
import { snnc } from '../helpers/cli.js';
import { tempDir, writeIdxDataset } from '../helpers/idx.js';
import { maxAbs, maxAbsDiff, randomArray, runOnnxFile } from '../helpers/ort.js';
import { available, DOODLENET, modelPath, MODELS, REALMODELS, type RealModel } from './models.js';

tf.env().set('PROD', true);
const SAMPLES = 8;

/** Random images (pixel values 0..255), preprocessed as the model expects: [n, C, H, W]. */
function randomImages(m: RealModel, n: number, seed: number): { pixels: Uint8Array; x: Float32Array } {
  const pixels = Uint8Array.from(randomArray(n * sizeOf(m.shape), seed, 0, 256), Math.floor);
  const ds: Dataset = { name: 'random', count: n, sampleShape: m.shape, pixels, labels: new Uint8Array(n), numClasses: 10 };
  return { pixels, x: preprocessBatch(ds, 0, n, { scale: m.scale, mean: m.mean, std: m.std }) };
}

/** The original model on its own runtime, one sample at a time (most were exported at batch 1). */
async function reference(m: RealModel, x: Float32Array, n: number): Promise<Float32Array> {
  const per = sizeOf(m.shape);
  const rows: Float32Array[] = [];
  if (m.format === 'onnx') {
    for (let i = 0; i < n; i++) {
      rows.push(await runOnnxFile(modelPath(m.file), x.slice(i * per, (i + 1) * per), [1, ...m.shape], { graphOptimizationLevel: 'disabled' }));
    }
  } else {
    const dir = path.dirname(modelPath(m.file));
    const json = JSON.parse(fs.readFileSync(modelPath(m.file), 'utf8'));
    const group = json.weightsManifest[0];
    const weightData = new Uint8Array(fs.readFileSync(path.join(dir, group.paths[0]))).buffer;
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }));
    const [c, h, w] = m.shape as [number, number, number];
    const input = tf.tidy(() => tf.tensor(x, [n, c, h, w]).transpose([0, 2, 3, 1]));
    const y = model.predict(input) as tf.Tensor;
    rows.push(Float32Array.from(y.dataSync() as Float32Array));
    tf.dispose([input, y]);
    model.dispose();
  }
  const out = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
  rows.reduce((o, r) => (out.set(r, o), o + r.length), 0);
  return out;
}

/** Re-applies the (log-)softmax snnc dropped at the output, row by row. */
function ending(kind: RealModel['ending'], x: Float32Array, rows: number): Float32Array {
  if (!kind) return x;
  const n = x.length / rows;
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * n, (r + 1) * n));
    const m = Math.max(...row);
    const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m;
    row.forEach((v, i) => (out[r * n + i] = kind === 'softmax' ? Math.exp(v - logSum) : v - logSum));
  }
  return out;
}

function argmaxRows(x: Float32Array, rows: number): Uint8Array {
  const n = x.length / rows;
  return Uint8Array.from({ length: rows }, (_, r) => {
    const row = Array.from(x.subarray(r * n, (r + 1) * n));
    return row.indexOf(Math.max(...row));
  });
}

interface Report {
  samples: number;
  ann: { accuracy: number };
  snn: { accuracyByStep: number[]; finalAccuracy: number };
}

async function evalReport(args: string[]): Promise<Report> {
  const json = path.join(tempDir('snnc-ext-'), 'report.json');
  const r = await snnc(['eval', ...args, '--json', json, '--no-timing', '--quiet', '--threads', '2']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
}

async function loadAnn(file: string): Promise<LoadedAnn> {
  const loaded = await loadModel(file);
  if (loaded.kind !== 'ann') throw new Error('expected an ANN');
  return loaded;
}

it(`finds the real models in ${REALMODELS} (set SNNC_REALMODELS to move them)`, () => {
  expect(available()).toBe(true);
});

describe.runIf(available()).each(MODELS)('$file', (m) => {
  it('loads and matches its own runtime on the same inputs', async () => {
    const loaded = await loadAnn(modelPath(m.file));
    expect(verify(loaded.graph)).toEqual([]);
    expect(loaded.graph.input.shape).toEqual(m.shape);
    const { x } = randomImages(m, SAMPLES, 11);
    const want = await reference(m, x, SAMPLES);
    const got = ending(m.ending, await runOnnxFile(exportOnnx(loaded.graph), x, [SAMPLES, ...m.shape]), SAMPLES);
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-4 * Math.max(1, maxAbs(want)));
    expect(argmaxRows(got, SAMPLES)).toEqual(argmaxRows(want, SAMPLES));
  });

  if (m.mnist) {
    const { minAnnAccuracy } = m.mnist;
    it(`converts and evaluates on MNIST with ${m.flags.join(' ') || 'the default preprocessing'}`, async () => {
      const report = await evalReport([modelPath(m.file), '--data', 'mnist', '--limit', '200', '--calib-samples', '200', '--timesteps', '32', ...m.flags]);
      expect(report.samples).toBe(200);
      expect(report.ann.accuracy).toBeGreaterThanOrEqual(minAnnAccuracy);
      expect(report.snn.finalAccuracy).toBeGreaterThanOrEqual(report.ann.accuracy - 0.03);
    });
  } else {
    it('converts, and the SNN agrees with the original on synthetic images', async () => {
      // No CIFAR-10 data here: random images, labelled by the original model on onnxruntime.
      const dir = tempDir('snnc-ext-');
      const spec = async (name: string, n: number, seed: number) => {
        const { pixels, x } = randomImages(m, n, seed);
        const labels = argmaxRows(await reference(m, x, n), n);
        const [c, h, w] = m.shape as [number, number, number];
        const hwc = new Uint8Array(pixels.length);
        for (let s = 0; s < n; s++) for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) hwc[(s * h * w + i) * c + k] = pixels[(s * c + k) * h * w + i]!;
        return writeIdxDataset(dir, name, [n, h, w, c], hwc, labels);
      };
      const calib = await spec('calib', 200, 21);
      const test = await spec('test', 100, 22);
      const out = path.join(dir, 'net.snn.json');
      const converted = await snnc(['convert', modelPath(m.file), '--out', out, '--data', test, '--calib-data', calib, '--quiet', '--threads', '2', ...m.flags]);
      expect(converted.stderr).toBe('');
      expect(converted.code).toBe(0);
      const report = await evalReport([out, '--data', test, '--timesteps', '128']);
      expect(report.ann.accuracy).toBeGreaterThanOrEqual(0.99);
      expect(report.snn.finalAccuracy).toBeGreaterThanOrEqual(0.85);
    });
  }
});

describe.runIf(available())('onnx-mnist8-zoo test sets', () => {
  it("reproduces the zoo's own output_0.pb of every test set", async () => {
    const dir = path.dirname(modelPath('onnx-mnist8-zoo/model.onnx'));
    const loaded = await loadAnn(modelPath('onnx-mnist8-zoo/model.onnx'));
    const read = (f: string) => decodeTensor(onnx.TensorProto.decode(fs.readFileSync(f)), f);
    const sets = fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_'));
    expect(sets.length).toBe(3);
    for (const set of sets) {
      const x = read(path.join(dir, set, 'input_0.pb'));
      const want = read(path.join(dir, set, 'output_0.pb')).data as Float32Array;
      const got = await runOnnxFile(exportOnnx(loaded.graph), x.data as Float32Array, x.dims);
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5 * maxAbs(want));
    }
  });
});

describe.runIf(available())(DOODLENET, () => {
  it('is refused with one line naming its tanh layer', async () => {
    const r = await snnc(['inspect', modelPath(DOODLENET)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderr).toMatch(/1 unsupported layer: 'dense' \(Dense\): activation tanh: /);
  });
});
