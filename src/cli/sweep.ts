/**
 * snnc sweep <model> --grid key=v1,v2 ...: one SNN run per configuration of the grid (each
 * run gives the accuracy at every t <= T); results.json, results.csv and charts in --out.
 *
 * A grid key is the long name of any conversion, preprocessing or run option (whatever
 * addConversionOptions / addSimulationOptions / the preprocessing flags define, so options
 * added there are grid keys at once). Each value goes into the configuration's options as
 * the flag's text, and through the same parsing as the flag. Configurations whose parsed
 * conversion (settings, preprocessing, data folder) is the same share one conversion: keys
 * that only change the run never convert again.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { oneLine, UserError } from '../errors.js';
import { meanFiringRate, stepsToReach } from '../eval/metrics.js';
import { expandGrid, normalizeGrid, shardOf, sweepFile, type Configuration, type GridAxis, type Shard, type SweepResult } from '../eval/sweep.js';
import type { EvalReport } from '../eval/report-record.js';
import { renderTable } from '../report/table.js';
import { pct } from '../util/format.js';
import { addConfigOption } from './config.js';
import { holdsSpikingNetwork } from '../io/load-model.js';
import { DEFAULT_PREPROCESS } from '../model/dataset.js';
import { addConversionOptions, addDataOptions, addSimulationOptions, CONVERSION_FLAGS, namingFlags, parseNumber, TARGET_HELP, type RawOptions } from './options.js';
import { planEval, type EvalPlan } from './plan.js';
import { loadEvalData, prepareSnn, runEvaluation } from './prepare.js';
import { Progress } from './progress.js';
import { checkOutputs, commandInputs } from './outputs.js';
import { printOut } from './print.js';
import { checkOutDir, SWEEP_FILES, writeSweepOutputs } from './sweep-output.js';

/** Preprocessing flags (defined with the data options) that a grid may vary. */
const PREPROCESS_KEYS = ['input-scale', 'input-mean', 'input-std'];
/** Options that are not grid keys, with the reason. */
const NOT_GRID_KEYS: Record<string, string> = {
  timesteps: 'every run gives the accuracy at each t <= --timesteps; set --timesteps instead',
};

const longName = (o: Option): string => (o.long ?? '').replace(/^--(no-)?/, '');

/** The grid keys: the long names of the conversion and run options, and the preprocessing flags. */
export function gridKeys(): string[] {
  const probe = addConversionOptions(addSimulationOptions(new Command()));
  return [...probe.options.map(longName), ...PREPROCESS_KEYS].filter((k) => !(k in NOT_GRID_KEYS));
}

/** `--grid key=v1,v2,...` (`;` separates values that themselves hold commas: input-mean=0.1,0.2;0.3,0.4). */
export function parseGridFlag(text: string, previous: GridAxis[] = []): GridAxis[] {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new UserError(`--grid ${text}: expected key=value1,value2,...`);
  const key = text.slice(0, eq).trim().replace(/^--/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const list = text.slice(eq + 1);
  const values = list.split(list.includes(';') ? ';' : ',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw new UserError(`--grid ${text}: empty value`);
  return [...previous, { key, values }];
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`--shard ${text}: expected i/n, e.g. 1/4`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UserError(`--shard ${text}: need 1 <= i <= n`);
  return { index, count };
}

/** The options of one configuration: the command's options with the grid values parsed as their flags parse them. */
function configurationOptions(cmd: Command, base: RawOptions, c: Configuration): RawOptions {
  const o: RawOptions = { ...base };
  for (const [key, text] of Object.entries(c.params)) {
    const option = cmd.options.find((x) => longName(x) === key)!;
    if (option.isBoolean() || option.negate) {
      if (text !== 'true' && text !== 'false') throw new UserError(`--grid ${key}: '${text}' is not true or false (--${key} is a switch)`);
      o[option.attributeName()] = text === 'true';
    } else {
      if (option.argChoices && !option.argChoices.includes(text)) throw new UserError(`--grid ${key}: '${text}' is not one of ${option.argChoices.join(', ')}`);
      o[option.attributeName()] = (option.parseArg ? option.parseArg(text, option.defaultValue) : text) as string;
    }
  }
  return o;
}

function checkGrid(cmd: Command, axes: GridAxis[], file: string): void {
  const keys = gridKeys();
  for (const a of axes) {
    if (a.key in NOT_GRID_KEYS) throw new UserError(`--grid ${a.key}: ${NOT_GRID_KEYS[a.key]}`);
    if (!keys.includes(a.key)) throw new UserError(`--grid ${a.key}: not a conversion or run option; grid keys are ${keys.join(', ')}`);
    const option = cmd.options.find((x) => longName(x) === a.key)!;
    if (holdsSpikingNetwork(file) && CONVERSION_FLAGS.includes(option.attributeName())) {
      throw new UserError(`--grid ${a.key}: ${file} is already converted, so --${a.key} has no effect; sweep the ANN instead`);
    }
  }
}

/** What a conversion depends on: configurations with the same key share one. */
function conversionKey(plan: EvalPlan): string {
  const preprocess = { ...DEFAULT_PREPROCESS, ...plan.preprocess };
  if (!plan.conversion) return JSON.stringify({ preprocess });
  return JSON.stringify({ settings: plan.conversion.options, calib: plan.conversion.calib.spec, preprocess, data: plan.data.options });
}

function sweepResult(c: Configuration, r: EvalReport, target: number | null): SweepResult {
  const targetAccuracy = target ?? r.ann.accuracy - 0.01;
  return {
    id: c.id,
    label: c.label,
    params: c.params,
    ann: r.ann,
    snn: { accuracyByStep: r.snn.accuracyByStep, finalAccuracy: r.snn.finalAccuracy, latency: r.snn.latency },
    target: { accuracy: targetAccuracy, steps: stepsToReach(r.snn.accuracyByStep, targetAccuracy) },
    meanFiringRate: meanFiringRate(r.layers),
    conversion: r.conversion,
    preprocess: r.preprocess,
    layers: r.layers,
  };
}

export function sweepCommand(): Command {
  const cmd = new Command('sweep')
    .description('run the SNN for every configuration of a grid of options; write results.json, results.csv and SVG charts')
    .argument('<model>', 'ONNX model (.onnx), converted network (.snn.json) or NIR graph (.nir)')
    .option('--out <dir>', 'output folder (required; created if missing)')
    .addOption(new Option('--grid <key=values>', 'an option and its values, e.g. t-ref=0,1,2; repeat for more axes').argParser(parseGridFlag).default([], 'none'))
    .option('--target <target|acc>', `${TARGET_HELP}; a number in [0, 1] is read as --target-accuracy (its older spelling)`, 'snnc')
    .option('--target-accuracy <acc>', 'accuracy (fraction) for the Pareto chart (default: 1 pp below the ANN)')
    .option('--shard <i/n>', 'run configurations i, i+n, i+2n, ... only (1 <= i <= n); join shards with snnc merge')
    .option('--no-timing', 'leave wall-clock times out of results.json (for byte-identical reruns)')
    .option('-q, --quiet', 'no progress on stderr');
  addSimulationOptions(cmd);
  addDataOptions(cmd);
  addConversionOptions(cmd, { target: false });
  addConfigOption(cmd);
  return cmd.action(async (file: string, raw: RawOptions) => {
    if (/^[\d.]+$/.test(String(raw.target))) {
      raw.targetAccuracy ??= raw.target;
      raw.target = 'snnc';
    }
    const began = performance.now();
    if (raw.out === undefined) throw new UserError('--out <dir> is required');
    const out = String(raw.out);
    checkOutDir(out);
    checkOutputs(SWEEP_FILES.map((f) => ({ flag: '--out', file: path.join(out, f) })), commandInputs(file, raw), { inNewFolder: true });
    const o = raw as RawOptions & { grid: GridAxis[] };
    const axes = namingFlags(Object.fromEntries(o.grid.map((a) => [`grid ${a.key}`, `--grid ${a.key}`])), () => normalizeGrid(o.grid));
    checkGrid(cmd, axes, file);
    const base = planEval(file, cmd, o);
    const { timesteps } = base.simulation;
    const target = o.targetAccuracy === undefined ? null : parseNumber('--target-accuracy', String(o.targetAccuracy), { min: 0, max: 1 });
    const shard = o.shard === undefined ? undefined : parseShard(String(o.shard));
    const all = expandGrid(axes);
    // Every configuration's values are parsed before any work, so a bad value fails at once.
    const planned = all.map((c) => {
      try {
        const plan = planEval(file, cmd, configurationOptions(cmd, o, c));
        return { ...c, plan, key: conversionKey(plan) };
      } catch (err) {
        if (err instanceof UserError) throw new UserError(`configuration ${c.label}: ${err.message}`);
        throw err;
      }
    });
    const mine = shard ? shardOf(planned, shard) : planned;
    const groups = new Map<string, typeof mine>();
    for (const c of mine) groups.set(c.key, [...(groups.get(c.key) ?? []), c]);

    const progress = new Progress(o.quiet === true);
    const results: SweepResult[] = [];
    const timings: { id: number; calibrationSeconds: number; annSeconds: number; snnSeconds: number }[] = [];
    let samples = 0;
    try {
      progress.update(`loading ${String(o.data)}`);
      const ds = await loadEvalData(base, progress);
      samples = ds.count;
      let done = 0;
      for (const group of groups.values()) {
        progress.setPrefix(`[${done + 1}/${mine.length}] ${group[0]!.label}`);
        const prepared = await prepareSnn(group[0]!.plan, progress);
        for (const [j, c] of group.entries()) {
          progress.setPrefix(`[${++done}/${mine.length}] ${c.label}`);
          const report = await runEvaluation(prepared, ds, c.plan, progress);
          results.push(sweepResult(c, report, target));
          timings.push({ id: c.id, calibrationSeconds: j === 0 ? prepared.calibrationSeconds : 0, annSeconds: report.timing!.annSeconds, snnSeconds: report.timing!.snnSeconds });
        }
      }
      progress.setPrefix('');
      progress.update('writing results');
      const header = { model: file, dataset: String(o.data), samples, timesteps, target, grid: axes, configurations: all.length };
      const timing = o.timing === false ? undefined : { totalSeconds: (performance.now() - began) / 1000, configurations: timings };
      const sweep = sweepFile(header, results, shard, timing);
      const written = await writeSweepOutputs(out, sweep);
      progress.stop();
      const lines = [
        `sweep of ${oneLine(file)} on ${oneLine(String(o.data))} (${samples} samples), T = ${timesteps}: ${mine.length} of ${all.length} configurations` +
          `${shard ? ` (shard ${shard.index}/${shard.count})` : ''}, ${groups.size} conversion${groups.size === 1 ? '' : 's'}`,
        renderTable(
          ['id', 'configuration', 'ANN', `SNN t=${timesteps}`, 'to target', 'within 1 pp', 'mean rate'],
          sweep.results.map((r) => [
            String(r.id),
            r.label,
            pct(r.ann.accuracy),
            pct(r.snn.finalAccuracy),
            r.target.steps === null ? '-' : `t=${r.target.steps}`,
            r.snn.latency.within1pp === null ? '-' : `t=${r.snn.latency.within1pp}`,
            r.meanFiringRate.toFixed(4),
          ]),
        ),
        `wrote ${written.map((f) => oneLine(path.join(out, f))).join(', ')}`,
      ];
      printOut(lines);
    } finally {
      progress.stop();
    }
  });
}
