/**
 * npm run bench: the SNN's cost per image per timestep against one ANN inference per image
 * (onnxruntime), measured in the same process, on the same samples and threads, for each
 * model, batch size and number of timesteps. Ratios from one run are what to compare;
 * absolute times move with the machine's load (printed with the results).
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
import { convertAnn } from '../eval/convert.js';
import { evaluate } from '../eval/evaluate.js';
import { DEFAULT_PREPROCESS, limitDataset, type Preprocess } from '../io/data/dataset.js';
import { loadDataset } from '../io/data/registry.js';
import { loadModel } from '../io/load-model.js';
import type { ConversionSettings } from '../io/snn-file.js';
import { renderTable } from '../report/table.js';
import { defaultThreads } from '../runtime/ort.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const DEFAULT_MODELS = 'models/mnist-cnn.onnx:mnist,models/fashion-cnn.onnx:fashion-mnist';

interface BenchRow {
  timesteps: number;
  batch: number;
  samples: number;
  annMsPerImage: number;
  snnMsPerImagePerStep: number;
  /** SNN cost per image per step / ANN cost per image: 1.0 is the dense bound's per-step cost. */
  ratio: number;
  accuracyAtT: number;
  annAccuracy: number;
}

interface ModelResult {
  model: string;
  dataset: string;
  calibrationSeconds: number;
  rows: BenchRow[];
}

const SETTINGS: Omit<ConversionSettings, 'calibData'> = {
  percentile: 99.99,
  channelwise: false,
  calibSamples: 1000,
  reset: 'subtract',
  tRefSteps: 0,
  vInitFraction: 0.5,
  neuron: 'if',
  calibrate: 'none',
  calibTimesteps: 32,
};

async function benchModel(file: string, data: string, o: { samples: number; samplesBatch1: number; timesteps: number[]; batches: number[]; threads: number; pre: Preprocess }): Promise<ModelResult> {
  const loaded = loadModel(file);
  if (loaded.kind !== 'ann') throw new Error(`bench needs an ANN (.onnx): ${file}`);
  const converted = await convertAnn(loaded, o.pre, { ...SETTINGS, calibData: `${data.split(':')[0]}:train` }, { threads: o.threads, batchSize: 100, data: {} });
  const all = loadDataset(data);
  const rows: BenchRow[] = [];
  for (const batch of o.batches) {
    const ds = limitDataset(all, batch === 1 ? o.samplesBatch1 : o.samples);
    for (const T of o.timesteps) {
      process.stderr.write(`${file}: batch ${batch}, T ${T}, ${ds.count} images\n`);
      const r = await evaluate(converted.model, ds, { timesteps: T, batchSize: batch, threads: o.threads });
      const annMsPerImage = (1000 * r.annSeconds) / ds.count;
      const snnMsPerImagePerStep = (1000 * r.snnSeconds) / (ds.count * T);
      rows.push({
        timesteps: T,
        batch,
        samples: ds.count,
        annMsPerImage,
        snnMsPerImagePerStep,
        ratio: snnMsPerImagePerStep / annMsPerImage,
        accuracyAtT: r.accuracyByStep[T - 1]!,
        annAccuracy: r.annAccuracy,
      });
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
        ['T', 'batch', 'images', 'ANN ms/image', 'SNN ms/image/step', 'SNN/ANN', 'ANN acc', 'SNN acc at T'],
        m.rows.map((r) => [
          String(r.timesteps),
          String(r.batch),
          String(r.samples),
          r.annMsPerImage.toFixed(4),
          r.snnMsPerImagePerStep.toFixed(4),
          r.ratio.toFixed(2),
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
