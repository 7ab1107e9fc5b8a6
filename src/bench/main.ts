/**
 * npm run bench: the SNN's cost per image per timestep against one ANN inference per image
 * (onnxruntime), measured in the same process, on the same samples and threads, for each
 * model, batch size and number of timesteps: each batch runs on the ANN and then on the SNN,
 * and the minimum per-batch times are compared (the least disturbed by other processes).
 * Ratios from one run are what to compare; absolute times move with the machine's load
 * (printed with the results).
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
import { simBatchSize } from '../runtime/simulate.js';
import { DEFAULT_PREPROCESS, limitDataset, preprocessBatch, type Dataset, type Preprocess } from '../model/dataset.js';
import { exportOnnx } from '../io/onnx/export.js';
import { loadDataset } from '../io/data/registry.js';
import { loadModel } from '../convert/load-model.js';
import type { SnnModel } from '../model/snn-model.js';
import { sizeOf } from '../ir/tensor.js';
import { renderTable } from '../report/table.js';
import { argmax } from '../runtime/ann.js';
import { defaultThreads, OrtModel } from '../runtime/ort.js';
import { SnnSimulator } from '../runtime/simulator.js';
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
  /** Median over batches of the same ratio (each batch's ANN and SNN run back to back). */
  medianRatio: number;
  /** The ratio of minimum CPU times (all threads). */
  cpuRatio: number;
  accuracyAtT: number;
  annAccuracy: number;
}

interface ModelResult {
  model: string;
  dataset: string;
  calibrationSeconds: number;
  rows: BenchRow[];
}


/** Smallest value: the estimate least disturbed by other processes on a shared machine. */
const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

/**
 * ANN and SNN on the same batches, one after the other, so both see the same machine load;
 * per-batch times give the minimum (wall and CPU) and the median of the per-batch ratios.
 */
async function benchRun(model: SnnModel, ds: Dataset, T: number, batch: number, threads: number): Promise<BenchRow> {
  const ann = await OrtModel.create(exportOnnx(model.ann), { threads });
  const sim = await SnnSimulator.create(model.snn, T, { threads });
  const per = sizeOf(model.snn.input.shape);
  const size = simBatchSize(sim, batch);
  const annWall: number[] = [];
  const annCpu: number[] = [];
  const snnWall: number[] = [];
  const snnCpu: number[] = [];
  let annCorrect = 0;
  let snnCorrect = 0;
  try {
    for (let start = 0; start < ds.count; start += size) {
      const count = Math.min(size, ds.count - start);
      const x = preprocessBatch(ds, start, count, model.preprocess, new Float32Array(count * per));
      let c0 = process.cpuUsage();
      let t0 = performance.now();
      const logits = (await ann.run(x, count, model.ann.input.shape)).get(model.ann.output)!;
      annWall.push((performance.now() - t0) / count);
      annCpu.push(cpuMs(c0) / count);
      c0 = process.cpuUsage();
      t0 = performance.now();
      const r = await sim.runBatch(x, count);
      snnWall.push((performance.now() - t0) / (count * T));
      snnCpu.push(cpuMs(c0) / (count * T));
      const classes = logits.length / count;
      for (let b = 0; b < count; b++) {
        if (argmax(logits, b * classes, classes) === ds.labels[start + b]) annCorrect++;
        if (r.predictions[(T - 1) * count + b] === ds.labels[start + b]) snnCorrect++;
      }
    }
  } finally {
    await ann.release();
    await sim.release();
  }
  return {
    timesteps: T,
    batch: size,
    samples: ds.count,
    annMsPerImage: min(annWall),
    snnMsPerImagePerStep: min(snnWall),
    ratio: min(snnWall) / min(annWall),
    medianRatio: median(snnWall.map((s, i) => s / annWall[i]!)),
    cpuRatio: min(snnCpu) / min(annCpu),
    accuracyAtT: snnCorrect / ds.count,
    annAccuracy: annCorrect / ds.count,
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
    .option('--threads <n>', 'onnxruntime threads', String(defaultThreads()))
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
        ['T', 'batch', 'images', 'ANN ms/image', 'SNN ms/image/step', 'SNN/ANN', 'median', 'CPU', 'ANN acc', 'SNN acc at T'],
        m.rows.map((r) => [
          String(r.timesteps),
          String(r.batch),
          String(r.samples),
          r.annMsPerImage.toFixed(4),
          r.snnMsPerImagePerStep.toFixed(4),
          r.ratio.toFixed(2),
          r.medianRatio.toFixed(2),
          r.cpuRatio.toFixed(2),
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
