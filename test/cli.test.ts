/**
 * The CLI end to end on the shipped model: eval with --limit 500, convert then eval the saved
 * network, inspect, and the error contract (one line on stderr, exit 2, no output file).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { snnc } from './helpers/cli.js';
import { tempDir } from './helpers/idx.js';
import { runOnnxFile } from './helpers/ort.js';
import { DEFAULT_PREPROCESS, limitDataset, preprocessBatch } from '../src/model/dataset.js';
import { loadDataset } from '../src/io/data/registry.js';

const MODEL = 'models/mnist-cnn.onnx';

const FASHION = 'models/fashion-cnn.onnx';
const FASHION_DATA = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

/** Test accuracy of the first n images by onnxruntime on the original file. */
async function referenceAccuracy(n: number, model = MODEL, data = 'mnist'): Promise<number> {
  const ds = limitDataset(loadDataset(data), n);
  const logits = await runOnnxFile(model, preprocessBatch(ds, 0, n, DEFAULT_PREPROCESS), [n, 1, 28, 28]);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === ds.labels[i]) correct++;
  }
  return correct / n;
}

describe('snnc eval', () => {
  it('converts and evaluates the shipped model: text on stdout, JSON report, SNN close to the ANN', async () => {
    const dir = tempDir();
    const json = path.join(dir, 'report.json');
    const r = await snnc(['eval', MODEL, '--data', 'mnist', '--timesteps', '32', '--limit', '500', '--calib-samples', '500', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ANN accuracy\s+\d+\.\d\d%/);
    for (const t of [1, 2, 4, 8, 16, 32]) expect(r.stdout).toMatch(new RegExp(`^\\s+${t}\\s+\\d+\\.\\d\\d%`, 'm'));
    expect(r.stdout).toMatch(/within 1 pp of the ANN/);
    expect(r.stdout).toMatch(/wall time/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.schemaVersion).toBe(1);
    expect(report.samples).toBe(500);
    expect(report.snn.timesteps).toBe(32);
    expect(report.snn.accuracyByStep).toHaveLength(32);
    expect(report.ann.accuracy).toBeCloseTo(await referenceAccuracy(500), 10);
    expect(report.snn.accuracyByStep[31]).toBeGreaterThanOrEqual(report.ann.accuracy - 0.01);
    expect(report.layers.length).toBeGreaterThanOrEqual(3);
    for (const l of report.layers) expect(l.firingRate).toBeGreaterThan(0);
    expect(report.timing.snnSeconds).toBeGreaterThan(0);
    expect(report.timing.totalSeconds).toBeGreaterThanOrEqual(report.timing.snnSeconds);
  });

  it('convert writes a network that eval runs without converting again, with the same result', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'net.snn.json');
    // The two runs must agree exactly: 100 images and 40 calibration images (each simulated for
    // 32 steps by --v-init auto's search, twice) show a difference as well as more would.
    const args = ['--limit', '100', '--calib-samples', '40', '--timesteps', '16'];
    const c = await snnc(['convert', MODEL, '--out', out, '--calib-samples', '40']);
    expect(c.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'net.snn.bin'))).toBe(true);
    const a = await snnc(['eval', MODEL, ...args, '--json', path.join(dir, 'a.json'), '--no-timing']);
    const b = await snnc(['eval', out, '--limit', '100', '--timesteps', '16', '--json', path.join(dir, 'b.json'), '--no-timing']);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ra = JSON.parse(fs.readFileSync(path.join(dir, 'a.json'), 'utf8'));
    const rb = JSON.parse(fs.readFileSync(path.join(dir, 'b.json'), 'utf8'));
    expect(rb.snn.accuracyByStep).toEqual(ra.snn.accuracyByStep);
    expect(rb.ann.accuracy).toBe(ra.ann.accuracy);
    expect(rb.timing).toBeUndefined();
  });
});

// Fashion-MNIST comes from Debian's dataset-fashion-mnist; without it the test says so.
describe.runIf(fs.existsSync(FASHION_DATA))('snnc eval on the shipped Fashion-MNIST model', () => {
  it('the ANN accuracy is onnxruntime\'s on the original file; the SNN with random v(0) is close at T = 32', async () => {
    const dir = tempDir();
    const json = path.join(dir, 'report.json');
    const r = await snnc(['eval', FASHION, '--data', 'fashion-mnist', '--timesteps', '32', '--limit', '300', '--calib-samples', '300', '--v-init', 'random', '--json', json]);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.ann.accuracy).toBeCloseTo(await referenceAccuracy(300, FASHION, 'fashion-mnist'), 10);
    expect(report.ann.accuracy).toBeGreaterThan(0.85);
    expect(report.snn.accuracyByStep[31]).toBeGreaterThanOrEqual(report.ann.accuracy - 0.02);
  });
});
if (!fs.existsSync(FASHION_DATA)) console.warn(`cli.test: ${FASHION_DATA} missing (apt-get install dataset-fashion-mnist); the Fashion-MNIST test is skipped`);

describe('snnc inspect', () => {
  it('prints layers with shapes, parameters and MACs, and JSON', async () => {
    const r = await snnc(['inspect', MODEL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/conv/);
    expect(r.stdout).toMatch(/total: \d+ parameters, \d+ MACs per image/);
    const j = JSON.parse((await snnc(['inspect', MODEL, '--json', '-'])).stdout);
    const conv = j.layers.find((l: { op: string }) => l.op === 'conv');
    expect(conv.macs).toBeGreaterThan(0);
    expect(j.totals.params).toBe(j.layers.reduce((s: number, l: { params: number }) => s + l.params, 0));
  });

  it('--json <file> writes the record that --json - prints, beside the text on stdout', async () => {
    const file = path.join(tempDir(), 'layers.json');
    const toFile = await snnc(['inspect', MODEL, '--json', file]);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toMatch(/total: \d+ parameters/);
    const toStdout = await snnc(['inspect', MODEL, '--json', '-']);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(JSON.parse(toStdout.stdout));
    expect(toStdout.stdout).not.toMatch(/total: \d+ parameters/);
  });
});

describe('errors', () => {
  it.each([
    [['eval', 'nope.onnx'], /nope\.onnx: no such file/],
    [['eval', 'fixtures/onnx/tanh.onnx'], /unsupported nodes: '\/Tanh' \(Tanh\)/],
    [['eval', MODEL, '--timesteps', 'abc'], /--timesteps: 'abc' is not a number/],
    [['eval', MODEL, '--reset', 'sideways'], /--reset: 'sideways' is not one of subtract, zero/],
    [['eval', MODEL, '--bogus'], /unknown option '--bogus'/],
    [['eval', MODEL, '--data', 'cifar'], /^snnc: --data cifar: unknown dataset/],
    // The calibration data's errors name the flag that gave it, not --data.
    [['eval', MODEL, '--limit', '5', '--calib-data', 'foo'], /^snnc: --calib-data foo: unknown dataset/],
    [['eval', MODEL, '--limit', '5', '--calib-data', 'mnist:validation'], /^snnc: --calib-data mnist:validation: unknown split 'validation'/],
    [['eval', MODEL, '--limit', '5', '--input-mean', '0.1,0.2'], /^snnc: --input-mean: 2 values for an input with 1 channels/],
    [['eval', 'fixtures/onnx/residual.onnx', '--data', 'mnist', '--limit', '5'], /has images \[1,28,28\].*expects input \[2,6,6\]/],
  ])('%j: one line on stderr, exit 2', async (args, pattern) => {
    const dir = tempDir();
    const json = path.join(dir, 'r.json');
    const r = await snnc([...args, '--json', json]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(json)).toBe(false);
  });
});
