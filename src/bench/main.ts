/**
 * npm run bench: the SNN's cost per image per timestep against one ANN inference per image
 * (onnxruntime), measured in the same process, on the same samples and threads. Ratios from
 * one run are what to compare; absolute times move with the machine's load.
 *
 *   node dist/bench/main.js [--model models/mnist-cnn.onnx] [--data mnist] [--samples 1000]
 *                           [--timesteps 8,32] [--batch 100] [--threads N] [--json file]
 */
import os from 'node:os';
import { Command } from 'commander';
import { parseNumber, parseNumberList } from '../cli/options.js';
import { convertAnn, DEFAULT_CONVERSION } from '../eval/convert.js';
import { evaluate } from '../eval/evaluate.js';
import { DEFAULT_PREPROCESS, limitDataset } from '../io/data/dataset.js';
import { loadDataset } from '../io/data/registry.js';
import { loadModel } from '../io/load-model.js';
import type { ConversionSettings } from '../io/snn-file.js';
import { renderTable } from '../report/table.js';
import { defaultThreads } from '../runtime/ort.js';
import { writeFileAtomic } from '../util/atomic-write.js';

interface BenchRow {
  timesteps: number;
  batch: number;
  annMsPerImage: number;
  snnMsPerImagePerStep: number;
  /** SNN cost per image per step / ANN cost per image: 1.0 is the dense bound's per-step cost. */
  ratio: number;
  accuracyAtT: number;
}

async function main(): Promise<void> {
  const o = new Command('bench')
    .option('--model <file>', 'ONNX model', 'models/mnist-cnn.onnx')
    .option('--data <spec>', 'dataset', 'mnist')
    .option('--samples <n>', 'test images', '1000')
    .option('--timesteps <list>', 'timesteps to measure', '8,32')
    .option('--batch <list>', 'batch sizes', '100')
    .option('--threads <n>', 'onnxruntime threads', String(defaultThreads()))
    .option('--json <file>', 'write the results as JSON')
    .parse(process.argv)
    .opts<Record<string, string>>();
  const threads = parseNumber('--threads', o.threads!, { min: 1, integer: true });
  const samples = parseNumber('--samples', o.samples!, { min: 1, integer: true });
  const loaded = loadModel(o.model!);
  if (loaded.kind !== 'ann') throw new Error('bench needs an ANN (.onnx)');
  const calibData = `${o.data!.split(':')[0]}:train`;
  const settings: ConversionSettings = { ...DEFAULT_CONVERSION, calibData };
  const converted = await convertAnn(loaded, DEFAULT_PREPROCESS, settings, { threads, batchSize: 100, data: {} });
  const ds = limitDataset(loadDataset(o.data!), samples);
  const rows: BenchRow[] = [];
  for (const batch of parseNumberList('--batch', o.batch!)) {
    for (const T of parseNumberList('--timesteps', o.timesteps!)) {
      const r = await evaluate(converted.model, ds, { timesteps: T, batchSize: batch, threads });
      const annMsPerImage = (1000 * r.annSeconds) / ds.count;
      const snnMsPerImagePerStep = (1000 * r.snnSeconds) / (ds.count * T);
      rows.push({ timesteps: T, batch, annMsPerImage, snnMsPerImagePerStep, ratio: snnMsPerImagePerStep / annMsPerImage, accuracyAtT: r.accuracyByStep[T - 1]! });
    }
  }
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', threads, node: process.version };
  const result = { model: o.model, dataset: o.data, samples: ds.count, calibrationSeconds: converted.seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, machine, rows };
  process.stdout.write(
    [
      `${o.model} on ${ds.count} images of ${o.data}; ${machine.cpus} cores (${machine.cpuModel}), ${threads} threads, Node ${machine.node}`,
      `calibration + conversion: ${converted.seconds.toFixed(2)} s; peak RSS ${result.peakRssMiB.toFixed(0)} MiB`,
      renderTable(
        ['T', 'batch', 'ANN ms/image', 'SNN ms/image/step', 'SNN/ANN', 'SNN acc at T'],
        rows.map((r) => [String(r.timesteps), String(r.batch), r.annMsPerImage.toFixed(4), r.snnMsPerImagePerStep.toFixed(4), r.ratio.toFixed(2), `${(100 * r.accuracyAtT).toFixed(2)}%`]),
      ),
    ].join('\n') + '\n',
  );
  if (o.json) writeFileAtomic(o.json, JSON.stringify(result, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
