/**
 * The TF.js loader against TF.js itself: each fixture (fixtures/make_tfjs_fixtures.mjs) runs
 * through @tensorflow/tfjs predict() on NHWC inputs as the reference; snnc's import of the same
 * files, exported to ONNX and run by onnxruntime on the same inputs in NCHW, must agree (to
 * 1e-5 of the output's magnitude; a softmax at the output, which snnc drops, is applied to
 * snnc's output before comparing).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { resolveWeightPath } from '../src/io/tfjs/load.js';
import { sizeOf } from '../src/ir/tensor.js';
import { verify } from '../src/ir/verify.js';
import { snnc } from './helpers/cli.js';
import { tempDir } from './helpers/idx.js';
import { maxAbs, maxAbsDiff, randomArray, runOnnxFile } from './helpers/ort.js';
import { errorOf } from './helpers/errors.js';

tf.env().set('PROD', true);
const fixture = (name: string) => path.join('fixtures/tfjs', name);
const BATCH = 6;

/** The reference: the model as TF.js reads it from its own files (model.json + weights.bin in memory). */
async function tfjsPredict(dir: string, nhwc: Float32Array, shape: number[]): Promise<Float32Array> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const weightData = new Uint8Array(fs.readFileSync(path.join(dir, group.paths[0]))).buffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }));
  const x = tf.tensor(nhwc, shape);
  const y = model.predict(x) as tf.Tensor;
  const out = Float32Array.from(y.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

/** [N, C, H, W] -> [N, H, W, C]. */
function toNhwc(x: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let s = 0; s < n!; s++)
    for (let k = 0; k < c!; k++)
      for (let i = 0; i < h! * w!; i++) out[(s * h! * w! + i) * c! + k] = x[(s * c! + k) * h! * w! + i]!;
  return out;
}

function softmax(x: Float32Array, rows: number): Float32Array {
  const n = x.length / rows;
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * n, (r + 1) * n));
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    row.forEach((v, i) => (out[r * n + i] = Math.exp(v - m) / s));
  }
  return out;
}

async function loadAnn(file: string): Promise<LoadedAnn> {
  const loaded = await loadModel(file);
  if (loaded.kind !== 'ann') throw new Error('expected an ANN');
  return loaded;
}

describe.each([
  ['cnn', [2, 12, 12], true],
  ['functional', [3, 10, 10], false],
  ['mlp', [20], false],
] as [string, number[], boolean][])('%s', (name, shape, endsInSoftmax) => {
  it('matches TF.js predict() on the same files', async () => {
    const loaded = await loadAnn(fixture(name));
    expect(verify(loaded.graph)).toEqual([]);
    expect(loaded.graph.input.shape).toEqual(shape);
    const x = randomArray(BATCH * sizeOf(shape), 7);
    const nchw = [BATCH, ...shape];
    const nhwc = shape.length === 3 ? [BATCH, shape[1]!, shape[2]!, shape[0]!] : nchw;
    const reference = await tfjsPredict(fixture(name), shape.length === 3 ? toNhwc(x, nchw) : x, nhwc);
    const raw = await runOnnxFile(exportOnnx(loaded.graph), x, nchw);
    const ours = endsInSoftmax ? softmax(raw, BATCH) : raw;
    expect(maxAbsDiff(ours, reference)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(reference)));
  });
});

describe('loader log', () => {
  it('reports layout changes, removals and folds, one line each', async () => {
    const log = (await loadAnn(fixture('cnn'))).log.join('\n');
    expect(log).toMatch(/input 'conv1_input' \[N,12,12,2\] \(NHWC\) read as \[N,2,12,12\] \(NCHW\)/);
    expect(log).toMatch(/Conv2D 'conv1': kernel \[4,4,2,4\] \(H,W,in,out\) laid out as \[4,2,4,4\] \(out,in,H,W\)/);
    expect(log).toMatch(/DepthwiseConv2D 'depthwise': kernel \[3,3,6,2\] \(H,W,C,multiplier\) laid out as \[12,1,3,3\]/);
    expect(log).toMatch(/Flatten 'flatten': flattens \[2,2,12\] in Keras's order \(H,W,C\)/);
    expect(log).toMatch(/Dense 'fc1': input columns reordered/);
    expect(log).toMatch(/Dropout 'dropout': removed/);
    expect(log).toMatch(/Dense 'fc2': softmax dropped at the output/);
    expect(log).toMatch(/folded affine 'bn_before_relu' into conv 'conv2'/);
    expect(log).toMatch(/folded affine 'bn_after_relu' forward into conv 'conv2'/);
    expect(log).toMatch(/folded affine 'bn_flat' forward into dense 'fc2'/);
  });
});

describe('console.warn, which the loader collects TF.js warnings from', () => {
  it('is console.warn again after loads that overlap, in whatever order they end', async () => {
    const original = console.warn;
    // Models of different sizes, each started before the others end: some end out of order.
    const names = ['cnn', 'mlp', 'functional', 'cnn', 'mlp', 'functional'];
    await Promise.all(names.map((name) => loadModel(fixture(name))));
    expect(console.warn).toBe(original);
  });
});

describe('snnc inspect', () => {
  it('reads a model folder and prints the layout changes', async () => {
    const r = await snnc(['inspect', fixture('functional')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^fixtures\/tfjs\/functional: ANN, input image \[N,3,10,10\], output logits/);
    expect(r.stdout).toMatch(/\n  input 'image' \[N,10,10,3\] \(NHWC\) read as \[N,3,10,10\] \(NCHW\)\n/);
    expect(r.stdout).toMatch(/\n  Dense 'logits': input columns reordered from Keras's flatten order \(H,W,C\) to the IR's \(C,H,W\)\n/);
  });
});

describe('refusals', () => {
  it('names every refused activation by layer, at once', async () => {
    const err = await errorOf(() => loadModel(fixture('squashing')));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/2 unsupported layers: 'fc_tanh' \(Dense\): activation tanh: .*; 'sigmoid' \(Activation\): activation sigmoid: /);
    expect(err.message.split('\n')).toHaveLength(1);
  });

  /** A copy of the mlp fixture whose manifest names its weights `weightPath` (the file stays at `stored`). */
  function withWeightPath(weightPath: string, stored = 'weights.bin'): string {
    const dir = tempDir('snnc-tfjs-');
    const json = JSON.parse(fs.readFileSync(path.join(fixture('mlp'), 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = [weightPath];
    fs.mkdirSync(path.dirname(path.join(dir, stored)), { recursive: true });
    fs.copyFileSync(path.join(fixture('mlp'), 'weights.bin'), path.join(dir, stored));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return path.join(dir, 'model.json');
  }

  it.each([
    ['../weights.bin', /climbs out with '\.\.'/],
    ['shards/../../weights.bin', /climbs out with '\.\.'/],
    ['/etc/passwd', /is absolute/],
    ['http://example.com/weights.bin', /is a URL/],
    ['file:///etc/passwd', /is a URL/],
  ])('refuses the weight path %s', async (weightPath, reason) => {
    const err = await errorOf(() => loadModel(withWeightPath(weightPath)));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(reason);
    expect(err.message).toContain(`'${weightPath}'`);
  });

  it('reads weights from a subfolder of the model folder', async () => {
    const loaded = await loadAnn(withWeightPath('shards/w.bin', 'shards/w.bin'));
    expect(loaded.graph.nodes.filter((n) => n.op === 'dense')).toHaveLength(3);
  });

  it('refuses a weight file that links out of the folder', async () => {
    const model = withWeightPath('weights.bin', 'elsewhere.bin');
    const outside = path.join(tempDir('snnc-tfjs-out-'), 'weights.bin');
    fs.renameSync(path.join(path.dirname(model), 'elsewhere.bin'), outside);
    fs.symlinkSync(outside, path.join(path.dirname(model), 'weights.bin'));
    const err = await errorOf(() => loadModel(model));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/is a link to a file outside the model's folder/);
  });

  it('names a missing weight file', async () => {
    const err = await errorOf(() => loadModel(withWeightPath('missing.bin')));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/cannot read weight file .*missing\.bin: ENOENT/);
  });

  it('resolves only paths inside the folder', () => {
    expect(resolveWeightPath('/models/a', 'group1-shard1of1.bin')).toBe('/models/a/group1-shard1of1.bin');
    expect(() => resolveWeightPath('/models/a', 'C:\\weights.bin')).toThrow(/absolute|URL/);
    expect(() => resolveWeightPath('/models/a', '..\\weights.bin')).toThrow(/climbs out/);
  });
});
