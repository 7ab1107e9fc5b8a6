/**
 * Conversion end to end on small networks: with enough timesteps the SNN's prediction equals
 * the ANN's, where the ANN is the original ONNX file run by onnxruntime (the labels of the
 * test data are its argmax, so SNN accuracy = agreement with the ANN).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertAnn } from '../src/convert/convert.js';
import { DEFAULT_CONVERSION } from '../src/model/conversion-settings.js';
import { evaluate } from '../src/eval/evaluate.js';
import { DEFAULT_PREPROCESS, limitDataset, preprocessBatch } from '../src/model/dataset.js';
import { loadDataset } from '../src/io/data/registry.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import type { ConversionOptions } from '../src/model/conversion-settings.js';
import { sizeOf } from '../src/ir/tensor.js';
import { verify } from '../src/ir/verify.js';
import { writeIdxDataset, tempDir } from './helpers/idx.js';
import { randomArray, runOnnxFile } from './helpers/ort.js';

const SETTINGS: ConversionOptions = { ...DEFAULT_CONVERSION, percentile: 100, calibSamples: 200 };

/** Random images labelled by the original model's argmax on onnxruntime. */
async function labelledByOriginal(file: string, shape: number[], count: number, seed: number, dir: string, name: string) {
  const per = sizeOf(shape);
  const pixels = Uint8Array.from(randomArray(count * per, seed, 0, 256), Math.floor);
  const ds = { name, count, sampleShape: shape, pixels, labels: new Uint8Array(count), numClasses: 0 };
  const x = preprocessBatch(ds, 0, count, DEFAULT_PREPROCESS);
  const logits = await runOnnxFile(file, x, [count, ...shape]);
  const classes = logits.length / count;
  const labels = Uint8Array.from({ length: count }, (_, i) => {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    return row.indexOf(Math.max(...row));
  });
  const dims = shape[0] === 1 ? [count, shape[1]!, shape[2]!] : [count, shape[1]!, shape[2]!, shape[0]!];
  // IDX stores channels last; the loader transposes back to CHW.
  const stored = shape[0] === 1 ? pixels : toHwc(pixels, count, shape as [number, number, number]);
  return writeIdxDataset(dir, name, dims, stored, labels);
}

function toHwc(chw: Uint8Array, n: number, [c, h, w]: [number, number, number]): Uint8Array {
  const out = new Uint8Array(chw.length);
  for (let s = 0; s < n; s++)
    for (let k = 0; k < c; k++)
      for (let i = 0; i < h * w; i++) out[s * c * h * w + i * c + k] = chw[s * c * h * w + k * h * w + i]!;
  return out;
}

describe.each([
  ['convnet.onnx', [1, 18, 18]],
  ['residual.onnx', [2, 6, 6]],
  ['shortcut-a.onnx', [2, 7, 7]],
  ['matmul.onnx', [1, 8, 8]],
])('%s converted', (name, shape) => {
  it('keeps the ANN argmax given enough timesteps', async () => {
    const file = path.join('fixtures/onnx', name);
    const dir = tempDir();
    const calibData = await labelledByOriginal(file, shape, 200, 1, dir, 'calib');
    const testData = await labelledByOriginal(file, shape, 100, 2, dir, 'test');
    const ann = (await loadModel(file)) as LoadedAnn;
    const { model } = await convertAnn(ann, DEFAULT_PREPROCESS, SETTINGS, loadDataset(calibData), { batchSize: 50 });
    expect(verify(model.snn)).toEqual([]);
    expect(model.snn.nodes.some((n) => n.op === 'relu')).toBe(false);
    const ds = limitDataset(loadDataset(testData), 100);
    const result = await evaluate(model, ds, { timesteps: 512, batchSize: 50 });
    expect(result.annAccuracy).toBe(1);
    const acc = result.accuracyByStep;
    expect(acc[511]).toBeGreaterThanOrEqual(0.95);
    expect(acc[511]).toBeGreaterThan(acc[1]!);
  });
});
