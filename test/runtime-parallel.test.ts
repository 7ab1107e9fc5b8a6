/**
 * The accuracy curve must not depend on how the samples are split: over worker threads
 * (--threads), into batches (--batch) or into chunks of steps. Each run below goes through the
 * CLI's command code as a user's would (in this process: helpers/cli-in-process.ts), on the
 * shipped MNIST model; the per-step accuracies and the firing
 * rates of every layer (spike totals) must be identical, not merely close. The second case
 * draws random numbers everywhere (random v(0), Poisson input, membrane noise): they are keyed
 * by sample index, so a sample's draws do not depend on which worker or batch runs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/io/data/registry.js';
import { DEFAULT_PREPROCESS, limitDataset } from '../src/model/dataset.js';
import { convertAnn } from '../src/convert/convert.js';
import { DEFAULT_CONVERSION } from '../src/model/conversion-settings.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { driveSnn } from '../src/runtime/batch-driver.js';
import { snncInProcess } from './helpers/cli-in-process.js';
import { tempDir } from './helpers/idx.js';
import { nativeKernels } from '../src/runtime/native/addon.js';

const MODEL = 'models/mnist-cnn.onnx';

interface Report {
  snn: { accuracyByStep: number[] };
  layers: { name: string; firingRate: number; saturatedFraction: number }[];
}

interface Curve {
  accuracyByStep: number[];
  layers: Report['layers'];
}

/**
 * The calibration is split like the evaluation (the same --threads and --batch): 40 images, in
 * one batch or several, and --v-init auto's search simulates each of them for 32 steps.
 */
async function evalJson(limit: number, timesteps: number, extra: string[]): Promise<Curve> {
  const file = path.join(tempDir(), 'eval.json');
  const r = await snncInProcess(['eval', MODEL, '--data', 'mnist', '--limit', String(limit), '--calib-samples', '40', '--timesteps', String(timesteps), '--no-timing', '--json', file, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  return { accuracyByStep: report.snn.accuracyByStep, layers: report.layers.map(({ name, firingRate, saturatedFraction }) => ({ name, firingRate, saturatedFraction })) };
}

describe('results do not depend on threads, batch size or chunking', () => {
  // The noisy case runs the reference step() (noise has no fast scan): fewer images and steps.
  it.each([
    ['deterministic run', 120, 100, 12, [] as string[]],
    ['random v(0), Poisson input, membrane noise', 40, 20, 5, ['--v-init', 'random', '--encoding', 'poisson', '--noise', '0.05', '--seed', '3']],
  ])('%s: --threads 1 / 2, --batch B / 1 / 7 give the same curve and rates', async (_name, limit, B, T, extra) => {
    const reference = await evalJson(limit, T, ['--threads', '1', '--batch', String(B), ...extra]);
    expect(reference.accuracyByStep).toHaveLength(T);
    expect(reference.accuracyByStep[T - 1]).toBeGreaterThan(0.5);
    expect(reference.layers.every((l) => l.firingRate > 0)).toBe(true);
    for (const split of [
      ['--threads', '2', '--batch', String(B)],
      ['--threads', '1', '--batch', '1'],
      ['--threads', '2', '--batch', '7'],
    ]) {
      expect(await evalJson(limit, T, [...split, ...extra]), split.join(' ')).toEqual(reference);
    }
  });

  it('spreads the batches over two workers and hands them back in dataset order', async () => {
    const ann = (await loadModel(MODEL)) as LoadedAnn;
    const ds = limitDataset(loadDataset('mnist'), 50);
    const { model } = await convertAnn(ann, DEFAULT_PREPROCESS, { ...DEFAULT_CONVERSION, calibSamples: 50 }, loadDataset('mnist:train'), { batchSize: 50, threads: 1 });
    const starts: number[] = [];
    const summary = await driveSnn(model.snn, 4, {}, ds, model.preprocess, { threads: 2, batchSize: 6 }, (r, start, count) => {
      expect(r.predictions).toHaveLength(4 * count);
      starts.push(start);
    });
    expect(summary.workers).toBe(2);
    expect(starts).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48]);
    // Decided once by the probe, for every worker, for the nodes on spikes: the second conv
    // (about 20% non-zero inputs) and the dense layers run event-driven where the native
    // kernels are in use (crossover densities about 45% and 28%), else on onnxruntime
    // (above the WebAssembly kernels' crossovers); the pools of spikes are fused into the
    // scans, and the first conv (on the constant input image) runs once per batch on
    // onnxruntime (no decision).
    const onSpikes = nativeKernels() !== null ? 'events' : 'ort';
    expect(summary.executors).toEqual({ '/4/Conv': onSpikes, '/8/Gemm': onSpikes, '/11/Gemm': onSpikes });
  });
});
