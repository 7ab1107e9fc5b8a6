/**
 * snnc check <model|snn> --baseline <file>: runs the network as eval does and compares the
 * run with a baseline (src/eval/baseline.ts). Exit 0 when every condition holds, 1 on a
 * regression (each failing condition printed with expected and measured), 2 on bad input.
 * --update writes the baseline from the current run instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { RegressionFound, UserError } from '../errors.js';
import type { Baseline } from '../eval/baseline.js';
import { junitXml } from '../report/junit.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { yaml } from '../util/structured-text.js';
import { addConfigOption, readJsonOrYaml } from './config.js';
import { addConversionOptions, addDataOptions, addSimulationOptions, maxMemoryOfCommand, type RawOptions } from './options.js';
import { planEval } from './plan.js';
import { measure } from './prepare.js';
import { checkOutputs, commandInputs } from './outputs.js';
import { printOut } from './print.js';
import { Progress } from './progress.js';

function writeBaseline(file: string, b: Baseline): void {
  const asYaml = ['.yaml', '.yml'].includes(path.extname(file).toLowerCase());
  writeFileAtomic(file, asYaml ? yaml().stringify(b) : JSON.stringify(b, null, 2) + '\n');
}

export function checkCommand(): Command {
  const cmd = new Command('check')
    .description('run a model and check it against a baseline (exit 0: holds, 1: regression, 2: bad input)')
    .argument('<model>', 'ONNX model (.onnx), converted network (.snn.json) or NIR graph (.nir)')
    .option('--baseline <file>', 'baseline, JSON or YAML (required)')
    .option('--junit <file.xml>', 'also write the result as JUnit XML')
    .option('--update', 'write the baseline from this run instead of checking (keeps its conditions and tolerance)')
    .option('-q, --quiet', 'no progress on stderr');
  addSimulationOptions(cmd);
  addDataOptions(cmd);
  addConversionOptions(cmd);
  addConfigOption(cmd);
  return cmd.action(async (file: string, o: RawOptions) => {
    const began = performance.now();
    // Loaded here, not at the top: it imports the simulator, which other commands' starts need not load.
    const { baselineFromRun, checkBaseline, conditionCount, largestStep, parseBaseline } = await import('../eval/baseline.js');
    if (o.baseline === undefined) throw new UserError('--baseline <file> is required');
    const baselineFile = String(o.baseline);
    const update = o.update === true;
    if (update && o.junit) throw new UserError('--junit: nothing is checked with --update');
    // --update rewrites the baseline it read: that one output may be an input.
    const outputs = [...(o.junit ? [{ flag: '--junit', file: String(o.junit) }] : []), ...(update ? [{ flag: '--baseline', file: baselineFile }] : [])];
    checkOutputs(outputs, [...commandInputs(file, o), ...(update ? [] : [baselineFile])]);
    const baseline = update && !fs.existsSync(baselineFile) ? null : parseBaseline(readJsonOrYaml(baselineFile, '--baseline', maxMemoryOfCommand(cmd)), baselineFile);
    // T: --timesteps when given, else the baseline's.
    const tGiven = ['cli', 'config'].includes(cmd.getOptionValueSource('timesteps') ?? '');
    const ro: RawOptions = tGiven || !baseline ? o : { ...o, timesteps: String(baseline.timesteps) };
    const plan = planEval(file, cmd, ro);
    const { timesteps } = plan.simulation;
    if (baseline && largestStep(baseline) > timesteps) {
      throw new UserError(`--timesteps ${timesteps}: ${baselineFile} looks at t = ${largestStep(baseline)}`);
    }
    const progress = new Progress(o.quiet === true);
    try {
      const report = await measure(plan, progress);
      progress.stop();
      const measuredOn = { model: file, dataset: String(o.data), samples: report.samples, conversion: report.conversion, preprocess: report.preprocess };
      if (update) {
        const { baseline: next, dropped } = baselineFromRun(report, baseline, measuredOn);
        writeBaseline(baselineFile, next);
        const notes = dropped.map((d) => `  left out: ${d}`);
        printOut([`wrote ${baselineFile}: ${conditionCount(next)} conditions from this run (T = ${timesteps})`, ...notes]);
        return;
      }
      const on = baseline!.measuredOn;
      const differs = [
        ...(on?.dataset !== undefined && on.dataset !== measuredOn.dataset ? [`dataset ${on.dataset}, this run ${measuredOn.dataset}`] : []),
        ...(on?.samples !== undefined && on.samples !== measuredOn.samples ? [`${on.samples} samples, this run ${measuredOn.samples}`] : []),
      ];
      if (differs.length > 0) progress.warn(`${baselineFile} was measured on another run: ${differs.join('; ')}`);
      const results = checkBaseline(baseline!, report);
      const failed = results.filter((r) => !r.passed);
      const lines = [
        `check of ${file} on ${String(o.data)} (${report.samples} samples), T = ${timesteps}, against ${baselineFile}`,
        ...results.map((r) => `  ${r.passed ? 'PASS' : 'FAIL'}  ${r.name}: expected ${r.expected}, measured ${r.measured}`),
        failed.length === 0 ? `all ${results.length} conditions hold` : `${failed.length} of ${results.length} conditions failed: ${failed.map((r) => r.name).join('; ')}`,
      ];
      printOut(lines);
      if (o.junit) {
        writeFileAtomic(
          String(o.junit),
          junitXml({
            suite: `snnc check ${file} on ${String(o.data)}`,
            results,
            seconds: (performance.now() - began) / 1000,
            properties: { model: file, dataset: String(o.data), samples: String(report.samples), timesteps: String(timesteps), baseline: baselineFile },
          }),
        );
      }
      if (failed.length > 0) throw new RegressionFound(`${failed.length} of ${results.length} conditions failed`);
    } finally {
      progress.stop();
    }
  });
}
