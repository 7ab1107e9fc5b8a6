/**
 * npm run bench: the SNN's cost per image per timestep against one ANN inference per image
 * (onnxruntime), measured in the same process, on the same samples and cores, for each
 * model, batch size and number of timesteps: the ANN's pass over the images, then the SNN's
 * (the same batch driver as `snnc eval`), each timed as a whole. Ratios from one run are what
 * to compare; absolute times move with the machine's load (printed with the results).
 *
 *   node dist/bench/main.js [--models file:data,...] [--samples 1000] [--samples-batch1 50]
 *                           [--timesteps 8,32,128] [--batch 1,100] [--threads N] [--json file]
 *
 * A model file that does not exist is skipped with a note (so the list can name models that
 * are not shipped yet).
 */
import fs from 'node:fs';
import os from 'node:os';
import { Command } from 'commander';
import { parseNumber, parseNumberList } from '../cli/options.js';
import { convertAnn } from '../convert/convert.js';
import { DEFAULT_CONVERSION } from '../model/conversion-settings.js';
import { DEFAULT_PREPROCESS, limitDataset, maxAbsInput, type Dataset, type Preprocess } from '../model/dataset.js';
import { loadDataset } from '../io/data/registry.js';
import { loadModel } from '../convert/load-model.js';
import type { SnnModel } from '../model/snn-model.js';
import { renderTable } from '../report/table.js';
import { accuracyOf, runAnn } from '../runtime/ann.js';
import { driveSnn } from '../runtime/batch-driver.js';
import { defaultThreads } from '../runtime/ort.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const DEFAULT_MODELS = 'models/mnist-cnn.onnx:mnist,models/fashion-cnn.onnx:fashion-mnist';

interface BenchRow {
  timesteps: number;
  batch: number;
  samples: number;
  annMsPerImage: number;
  snnMsPerImagePerStep: number;
  /** SNN cost per image per step / ANN cost per image (minimum wall times): 1.0 is the dense bound's per-step cost. */
  ratio: number;
  /** Simulators that ran the SNN (worker threads, or 1: the main thread). */
  workers: number;
  /** The ratio of CPU times (all threads of the process). */
  cpuRatio: number;
  /** SNN throughput: images x T / wall seconds of the batches. */
  imageStepsPerSecond: number;
  accuracyAtT: number;
  annAccuracy: number;
}

interface ModelResult {
  model: string;
  dataset: string;
  calibrationSeconds: number;
  rows: BenchRow[];
}


const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

/**
 * The ANN (onnxruntime, one session at `threads` intra-op threads) and then the SNN (the
 * batch driver on `threads` cores: worker threads when more than one) on the same images, at
 * the same batch size. Times are the wall times of the whole passes (the SNN's without the
 * workers' start-up); CPU times are the process's (all threads).
 */
async function benchRun(model: SnnModel, ds: Dataset, T: number, batch: number, threads: number): Promise<BenchRow> {
  let c0 = process.cpuUsage();
  let t0 = performance.now();
  const annPredictions = await runAnn(model.ann, ds, model.preprocess, { threads, batchSize: batch });
  const annWall = (performance.now() - t0) / ds.count;
  const annCpu = cpuMs(c0) / ds.count;
  let snnCorrect = 0;
  c0 = process.cpuUsage();
  t0 = performance.now();
  const summary = await driveSnn(model.snn, T, { inputScale: maxAbsInput(model.preprocess, model.snn.input.shape[0]!) }, ds, model.preprocess, { threads, batchSize: batch }, (r, start, count) => {
    for (let b = 0; b < count; b++) if (r.predictions[(T - 1) * count + b] === ds.labels[start + b]) snnCorrect++;
  });
  const snnWall = (summary.batchSeconds * 1000) / (ds.count * T);
  const snnCpu = cpuMs(c0) / (ds.count * T);
  return {
    timesteps: T,
    batch: summary.simBatch,
    samples: ds.count,
    workers: summary.workers,
    annMsPerImage: annWall,
    snnMsPerImagePerStep: snnWall,
    ratio: snnWall / annWall,
    cpuRatio: snnCpu / annCpu,
    imageStepsPerSecond: (ds.count * T) / summary.batchSeconds,
    accuracyAtT: snnCorrect / ds.count,
    annAccuracy: accuracyOf(annPredictions, ds.labels),
  };
}

async function benchModel(file: string, data: string, o: { samples: number; samplesBatch1: number; timesteps: number[]; batches: number[]; threads: number; pre: Preprocess }): Promise<ModelResult> {
  const loaded = await loadModel(file);
  if (loaded.kind !== 'ann') throw new Error(`bench needs an ANN (.onnx): ${file}`);
  const converted = await convertAnn(loaded, o.pre, DEFAULT_CONVERSION, loadDataset(`${data.split(':')[0]}:train`), { threads: o.threads, batchSize: 100 });
  const all = loadDataset(data);
  const rows: BenchRow[] = [];
  for (const batch of o.batches) {
    const ds = limitDataset(all, batch === 1 ? o.samplesBatch1 : o.samples);
    for (const T of o.timesteps) {
      process.stderr.write(`${file}: batch ${batch}, T ${T}, ${ds.count} images\n`);
      rows.push(await benchRun(converted.model, ds, T, batch, o.threads));
    }
  }
  return { model: file, dataset: data, calibrationSeconds: converted.seconds, rows };
}

async function main(): Promise<void> {
  const o = new Command('bench')
    .option('--models <list>', 'model:dataset pairs, comma-separated', DEFAULT_MODELS)
    .option('--samples <n>', 'test images for batches > 1', '1000')
    .option('--samples-batch1 <n>', 'test images for batch 1', '50')
    .option('--timesteps <list>', 'timesteps to measure', '8,32,128')
    .option('--batch <list>', 'batch sizes', '1,100')
    .option('--threads <n>', 'cores (onnxruntime threads of the ANN; worker threads of the SNN)', String(defaultThreads()))
    .option('--input-scale <x>', 'factor on raw pixels (1/255 by default; 1 for models trained on 0..255)')
    .option('--json <file>', 'write the results as JSON')
    .parse(process.argv)
    .opts<Record<string, string>>();
  const threads = parseNumber('--threads', o.threads!, { min: 1, integer: true });
  const options = {
    samples: parseNumber('--samples', o.samples!, { min: 1, integer: true }),
    samplesBatch1: parseNumber('--samples-batch1', o.samplesBatch1!, { min: 1, integer: true }),
    timesteps: parseNumberList('--timesteps', o.timesteps!),
    batches: parseNumberList('--batch', o.batch!),
    threads,
    pre: o.inputScale === undefined ? DEFAULT_PREPROCESS : { ...DEFAULT_PREPROCESS, scale: parseNumber('--input-scale', o.inputScale) },
  };
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    threads,
    node: process.version,
    loadAverageBefore: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  const results: ModelResult[] = [];
  const skipped: string[] = [];
  for (const pair of o.models!.split(',')) {
    const [file, data = 'mnist'] = pair.split(':');
    if (!fs.existsSync(file!)) {
      skipped.push(file!);
      process.stdout.write(`skipping ${file}: not found\n`);
      continue;
    }
    results.push(await benchModel(file!, data, options));
  }
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const result = { machine: { ...machine, loadAverageAfter: os.loadavg().map((l) => Number(l.toFixed(2))) }, peakRssMiB, skipped, results };
  const lines = [`${machine.cpus} cores (${machine.cpuModel}), ${threads} threads, Node ${machine.node}; load average ${machine.loadAverageBefore.join(' ')} before, ${result.machine.loadAverageAfter.join(' ')} after; peak RSS ${peakRssMiB.toFixed(0)} MiB`];
  for (const m of results) {
    lines.push(
      '',
      `${m.model} on ${m.dataset}: calibration + conversion ${m.calibrationSeconds.toFixed(2)} s`,
      renderTable(
        ['T', 'batch', 'images', 'workers', 'ANN ms/image', 'SNN ms/image/step', 'SNN/ANN', 'CPU ratio', 'image-steps/s', 'ANN acc', 'SNN acc at T'],
        m.rows.map((r) => [
          String(r.timesteps),
          String(r.batch),
          String(r.samples),
          String(r.workers),
          r.annMsPerImage.toFixed(4),
          r.snnMsPerImagePerStep.toFixed(4),
          r.ratio.toFixed(2),
          r.cpuRatio.toFixed(2),
          r.imageStepsPerSecond.toFixed(0),
          `${(100 * r.annAccuracy).toFixed(2)}%`,
          `${(100 * r.accuracyAtT).toFixed(2)}%`,
        ]),
      ),
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (o.json) writeFileAtomic(o.json, JSON.stringify(result, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
