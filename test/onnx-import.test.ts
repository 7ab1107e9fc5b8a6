/**
 * The loader against onnxruntime: each fixture (exported by PyTorch) runs on onnxruntime as
 * the reference; snnc's import of the same file, exported back to ONNX, must give the same
 * outputs on the same inputs.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { loadModel } from '../src/io/load-model.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { sizeOf } from '../src/ir/tensor.js';
import { verify } from '../src/ir/verify.js';
import { maxAbs, maxAbsDiff, randomArray, runOnnxFile } from './helpers/ort.js';

const fixture = (name: string) => path.join('fixtures/onnx', name);
const BATCH = 7;

describe.each([
  ['convnet.onnx', [1, 18, 18]],
  ['convnet-opset9.onnx', [1, 18, 18]],
  ['matmul.onnx', [1, 8, 8]],
  ['residual.onnx', [2, 6, 6]],
])('%s', (name, shape) => {
  it('matches onnxruntime on the original file', async () => {
    const loaded = loadModel(fixture(name));
    if (loaded.kind !== 'ann') throw new Error('expected an ANN');
    expect(verify(loaded.graph)).toEqual([]);
    expect(loaded.graph.input.shape).toEqual(shape);
    const x = randomArray(BATCH * sizeOf(shape), 42);
    const reference = await runOnnxFile(fixture(name), x, [BATCH, ...shape]);
    const ours = await runOnnxFile(exportOnnx(loaded.graph), x, [BATCH, ...shape]);
    if (name === 'matmul.onnx') {
      // The original ends in a softmax that snnc drops: compare the argmax per sample.
      const classes = reference.length / BATCH;
      for (let b = 0; b < BATCH; b++) {
        const row = (a: Float32Array) => Array.from(a.subarray(b * classes, (b + 1) * classes));
        const argmax = (r: number[]) => r.indexOf(Math.max(...r));
        expect(argmax(row(ours))).toBe(argmax(row(reference)));
      }
    } else {
      expect(maxAbsDiff(ours, reference)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(reference)));
    }
  });
});

describe('unsupported ops', () => {
  it('names every refused activation at once, with node names and reasons', () => {
    let message = '';
    try {
      loadModel(fixture('tanh.onnx'));
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      message = (err as Error).message;
    }
    expect(message).toContain('2 unsupported nodes');
    expect(message).toMatch(/'\/Tanh' \(Tanh\): tanh/);
    expect(message).toMatch(/'\/Sigmoid' \(Sigmoid\): sigmoid/);
    expect(message.split('\n')).toHaveLength(1);
  });
});

describe('loader log', () => {
  it('reports folds and removals', () => {
    const loaded = loadModel(fixture('convnet.onnx'));
    if (loaded.kind !== 'ann') throw new Error('expected an ANN');
    expect(loaded.log.join('\n')).toMatch(/folded affine '\/bn1\/BatchNormalization' into conv/);
    expect(loaded.graph.nodes.some((n) => n.op === 'affine')).toBe(false);
  });
});
