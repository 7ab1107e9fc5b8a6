/**
 * What eval, convert (and later sweep and check) share: open the model, and for an ANN
 * calibrate and convert it; for a converted network, reuse what it stores.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { convertAnn } from '../eval/convert.js';
import { evaluate } from '../eval/evaluate.js';
import { checkFitsGraph, checkPreprocess, limitDataset, type Dataset } from '../io/data/dataset.js';
import { loadDataset, obtainDataset } from '../io/data/registry.js';
import { loadModel } from '../io/load-model.js';
import type { SnnModel } from '../io/snn-file.js';
import { buildEvalReport, type EvalReport } from '../report/eval-report.js';
import { CONVERSION_FLAGS, conversionSettings, dataOptions, preprocessOptions, simulationOptions, type RawOptions } from './options.js';
import { batchText, type Progress } from './progress.js';

export interface Prepared {
  model: SnnModel;
  calibrationSeconds: number;
  /** Loader and conversion log, one line per change. */
  log: string[];
}

export async function prepareSnn(
  file: string,
  cmd: Command,
  o: RawOptions,
  run: { batchSize: number; threads: number },
  progress: Progress,
): Promise<Prepared> {
  // Commands that simulate calibrate for their run; convert and export for the defaults.
  const sim = o.timesteps === undefined ? undefined : simulationOptions(o);
  progress.update(`loading ${file}`);
  const loaded = await loadModel(file);
  if (loaded.kind === 'snn') {
    const given = CONVERSION_FLAGS.filter((k) => ['cli', 'config'].includes(cmd.getOptionValueSource(k) ?? ''));
    if (given.length > 0) {
      throw new UserError(`${file} is already converted: --${given.map(kebab).join(', --')} would have no effect; convert the ANN again instead`);
    }
    const preprocess = preprocessOptions(o, loaded.model.preprocess);
    checkPreprocess(preprocess, loaded.model.snn.input.shape[0]!);
    return { model: { ...loaded.model, preprocess }, calibrationSeconds: 0, log: [] };
  }
  const preprocess = preprocessOptions(o);
  checkPreprocess(preprocess, loaded.graph.input.shape[0]!);
  const settings = conversionSettings(o, (m) => progress.warn(m), sim?.timesteps);
  await obtainDataset(settings.calibData, dataOptions(o), (text) => progress.update(text));
  const converted = await convertAnn(loaded, preprocess, settings, {
    threads: run.threads,
    batchSize: run.batchSize,
    data: dataOptions(o),
    onBatch: (done, total) => progress.update(batchText(`calibrating on ${settings.calibData}`, done, total)),
    onLayer: (text) => progress.update(text),
    warn: (message) => progress.warn(message),
    ...(sim ? { runtime: sim.runtime } : {}),
  });
  return { model: converted.model, calibrationSeconds: converted.seconds, log: [...loaded.log, ...converted.log] };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The evaluation data (--data, first --limit samples), fetched first if it must be (CIFAR-10). */
export async function loadEvalData(o: RawOptions, run: { limit?: number }, progress?: Progress): Promise<Dataset> {
  await obtainDataset(String(o.data), dataOptions(o), (text) => progress?.update(text));
  return limitDataset(loadDataset(String(o.data), dataOptions(o)), run.limit);
}

/**
 * Runs ANN and SNN of a prepared network on `ds` with the run options of `o`, as eval,
 * sweep (once per configuration) and check do. timing.totalSeconds is calibration + ANN + SNN.
 */
export async function runEvaluation(
  file: string,
  prepared: Prepared,
  ds: Dataset,
  o: RawOptions,
  run: { batchSize: number; threads: number },
  progress: Progress,
): Promise<EvalReport> {
  const sim = simulationOptions(o);
  checkFitsGraph(ds, prepared.model.snn, file);
  const result = await evaluate(prepared.model, ds, {
    ...sim,
    batchSize: run.batchSize,
    threads: run.threads,
    onProgress: (phase, done, total) => progress.update(batchText(phase === 'ann' ? 'ANN' : `SNN, T=${sim.timesteps}`, done, total)),
  });
  return buildEvalReport({
    model: file,
    dataset: String(o.data),
    result,
    timesteps: sim.timesteps,
    conversion: prepared.model.conversion,
    runtime: sim.runtime,
    preprocess: prepared.model.preprocess,
    timing: {
      calibrationSeconds: prepared.calibrationSeconds,
      annSeconds: result.annSeconds,
      snnSeconds: result.snnSeconds,
      totalSeconds: prepared.calibrationSeconds + result.annSeconds + result.snnSeconds,
    },
  });
}

/**
 * What eval and check do: load the evaluation data (first, so that a bad --data fails before a
 * long conversion), prepare the network, run ANN and SNN.
 */
export async function measure(
  file: string,
  cmd: Command,
  o: RawOptions,
  run: { batchSize: number; threads: number; limit?: number },
  progress: Progress,
): Promise<EvalReport> {
  progress.update(`loading ${String(o.data)}`);
  const ds = await loadEvalData(o, run, progress);
  const prepared = await prepareSnn(file, cmd, o, run, progress);
  return runEvaluation(file, prepared, ds, o, run, progress);
}
