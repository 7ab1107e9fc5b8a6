/** snnc eval <model>: convert (unless already converted), run ANN and SNN, report accuracy vs timesteps. */
import { Command } from 'commander';
import { evaluate } from '../eval/evaluate.js';
import { checkFitsGraph, limitDataset } from '../io/data/dataset.js';
import { loadDataset } from '../io/data/registry.js';
import { buildEvalReport, renderEvalReport } from '../report/eval-report.js';
import { checkWritable, writeFileAtomic } from '../util/atomic-write.js';
import { addConversionOptions, addDataOptions, dataOptions, parseTimesteps, runOptions, type RawOptions } from './options.js';
import { prepareSnn } from './prepare.js';
import { batchText, Progress } from './progress.js';

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('convert a model (or load a converted .snn.json), run ANN and SNN, report accuracy at every timestep')
    .argument('<model>', 'ONNX model (.onnx) or converted network (.snn.json)')
    .option('-T, --timesteps <n>', 'timesteps to simulate', '32')
    .option('--json <file>', 'also write the report as JSON')
    .option('--no-timing', 'leave wall-clock times out of the JSON report (for byte-identical reruns)')
    .option('-q, --quiet', 'no progress on stderr');
  addDataOptions(cmd);
  addConversionOptions(cmd);
  return cmd.action(async (file: string, o: RawOptions) => {
    const began = performance.now();
    const timesteps = parseTimesteps(o.timesteps);
    const run = runOptions(o);
    if (o.json) checkWritable(String(o.json), '--json');
    const progress = new Progress(o.quiet === true);
    try {
      const prepared = await prepareSnn(file, cmd, o, run, progress, timesteps);
      progress.update(`loading ${String(o.data)}`);
      const ds = limitDataset(loadDataset(String(o.data), dataOptions(o)), run.limit);
      checkFitsGraph(ds, prepared.model.snn, file);
      const result = await evaluate(prepared.model, ds, {
        timesteps,
        batchSize: run.batchSize,
        threads: run.threads,
        onProgress: (phase, done, total) => progress.update(batchText(phase === 'ann' ? 'ANN' : `SNN, T=${timesteps}`, done, total)),
      });
      progress.stop();
      const report = buildEvalReport({
        model: file,
        dataset: String(o.data),
        result,
        timesteps,
        conversion: prepared.model.conversion,
        preprocess: prepared.model.preprocess,
        timing: {
          calibrationSeconds: prepared.calibrationSeconds,
          annSeconds: result.annSeconds,
          snnSeconds: result.snnSeconds,
          totalSeconds: (performance.now() - began) / 1000,
        },
      });
      process.stdout.write(renderEvalReport(report) + '\n');
      if (o.json) {
        const { timing, ...rest } = report;
        writeFileAtomic(String(o.json), JSON.stringify(o.timing === false ? rest : { ...rest, timing }, null, 2) + '\n');
      }
    } finally {
      progress.stop();
    }
  });
}
