/**
 * Small IDX datasets of seeded random images labelled by the original model's argmax on
 * onnxruntime: the ANN's accuracy on them is 1 by construction, and the SNN's accuracy is
 * its agreement with the original model.
 */
import { DEFAULT_PREPROCESS, preprocessBatch } from '../../src/model/dataset.js';
import { sizeOf } from '../../src/ir/tensor.js';
import { writeIdxDataset } from './idx.js';
import { randomArray, runOnnxFile } from './ort.js';

/** Writes `count` images of CHW `shape` to `dir` and returns the `idx:` spec. */
export async function labelledByOriginal(file: string, shape: number[], count: number, seed: number, dir: string, name: string): Promise<string> {
  const per = sizeOf(shape);
  const pixels = Uint8Array.from(randomArray(count * per, seed, 0, 256), Math.floor);
  const ds = { name, count, sampleShape: shape, pixels, labels: new Uint8Array(count), numClasses: 0 };
  const logits = await runOnnxFile(file, preprocessBatch(ds, 0, count, DEFAULT_PREPROCESS), [count, ...shape]);
  const classes = logits.length / count;
  const labels = Uint8Array.from({ length: count }, (_, i) => {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    return row.indexOf(Math.max(...row));
  });
  if (shape[0] !== 1) throw new Error('labelledByOriginal: one-channel shapes only');
  return writeIdxDataset(dir, name, [count, shape[1]!, shape[2]!], pixels, labels);
}

/** The convnet fixture (3 spiking layers after conversion) with calibration and test data labelled by onnxruntime. */
export const CONVNET = 'fixtures/onnx/convnet.onnx';

export async function convnetData(dir: string, testCount = 40, calibCount = 60): Promise<{ data: string; calib: string }> {
  return {
    calib: await labelledByOriginal(CONVNET, [1, 18, 18], calibCount, 1, dir, 'calib'),
    data: await labelledByOriginal(CONVNET, [1, 18, 18], testCount, 2, dir, 'test'),
  };
}
