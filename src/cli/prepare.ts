/**
 * What eval, convert, export, sweep and check share: open the model, and for an ANN
 * calibrate and convert it; for a converted network, reuse what it stores. Everything comes
 * from the command's plan (plan.ts), parsed once.
 */
import { invariant } from '../errors.js';
import { checkFitsGraph, checkPreprocess, DEFAULT_PREPROCESS, limitDataset, type Dataset, type Preprocess } from '../model/dataset.js';
import { loadDataset, obtainDataset, type DataOptions } from '../io/data/registry.js';
import type { SnnModel } from '../model/snn-model.js';
import type { EvalReport } from '../eval/report-record.js';
import { namingFlags, namingFlagsAsync, PREPROCESS_FLAGS } from './options.js';
import { refuseConversionFlags, type EvalPlan, type PreparePlan } from './plan.js';
import { batchText, type Progress } from './progress.js';

export interface Prepared {
  model: SnnModel;
  calibrationSeconds: number;
  /** Loader and conversion log, one line per change. */
  log: string[];
}

/** A dataset by the name a flag gave; its errors name the flag. */
export function datasetOf(flag: string, spec: string, options: DataOptions): Dataset {
  return namingFlags({ [`dataset ${spec}`]: `${flag} ${spec}` }, () => loadDataset(spec, options));
}

/** The run's fields that core errors may begin with (`batch 100000: ...`), and their flags. */
const runFlags = (plan: PreparePlan): Record<string, string> => ({ [`batch ${plan.run.batchSize}`]: `--batch ${plan.run.batchSize}` });

/** The preprocessing flags over `base`, checked against the network's input channels. */
function preprocessOver(base: Preprocess, plan: PreparePlan, channels: number): Preprocess {
  const preprocess = { ...base, ...plan.preprocess };
  namingFlags(PREPROCESS_FLAGS, () => checkPreprocess(preprocess, channels));
  return preprocess;
}

export async function prepareSnn(plan: PreparePlan, progress: Progress): Promise<Prepared> {
  const { file } = plan;
  progress.update(`loading ${file}`);
  // The core is loaded here, not at the top: every command imports this file, and a refused
  // input (or --help) then ends before the converter and the simulator are loaded.
  const { loadModel } = await import('../convert/load-model.js');
  const loaded = await loadModel(file, { maxMemoryBytes: plan.run.maxMemoryBytes });
  if (loaded.kind === 'snn') {
    refuseConversionFlags(file, plan.conversionFlagsGiven);
    const preprocess = preprocessOver(loaded.model.preprocess, plan, loaded.model.snn.input.shape[0]!);
    return { model: { ...loaded.model, preprocess }, calibrationSeconds: 0, log: loaded.log ?? [] };
  }
  const preprocess = preprocessOver({ ...DEFAULT_PREPROCESS, ...loaded.preprocess }, plan, loaded.graph.input.shape[0]!);
  // Every file not named as a spiking network has conversion options in the plan.
  invariant(plan.conversion, `${file}: an ANN without conversion options in the plan`);
  const { options, calib } = plan.conversion;
  if (calib.isEvalData) progress.warn(`calibrating on the evaluation data ${calib.spec}: pass --calib-data to keep them apart`);
  await obtainDataset(calib.spec, plan.data.options, (text) => progress.update(text));
  const calibData = datasetOf(calib.flag, calib.spec, plan.data.options);
  const { convertAnn } = await import('../convert/convert.js');
  const converted = await namingFlagsAsync(runFlags(plan), () => convertAnn(loaded, preprocess, options, calibData, {
    threads: plan.run.threads,
    batchSize: plan.run.batchSize,
    maxMemoryBytes: plan.run.maxMemoryBytes,
    onBatch: (done, total) => progress.update(batchText(`calibrating on ${calibData.name}`, done, total)),
    onLayer: (text) => progress.update(text),
    warn: (message) => progress.warn(message),
    ...(plan.simulation ? { runtime: plan.simulation.runtime } : {}),
  }));
  return { model: converted.model, calibrationSeconds: converted.seconds, log: [...loaded.log, ...converted.log] };
}

/** The evaluation data (--data, first --limit samples), fetched first if it must be (CIFAR-10). */
export async function loadEvalData(plan: PreparePlan, progress?: Progress): Promise<Dataset> {
  await obtainDataset(plan.data.spec, plan.data.options, (text) => progress?.update(text));
  return limitDataset(datasetOf('--data', plan.data.spec, plan.data.options), plan.run.limit);
}

/**
 * Runs ANN and SNN of a prepared network on `ds` as `plan` says, as eval, sweep (once per
 * configuration) and check do. timing.totalSeconds is calibration + ANN + SNN.
 */
export async function runEvaluation(prepared: Prepared, ds: Dataset, plan: EvalPlan, progress: Progress): Promise<EvalReport> {
  const sim = plan.simulation;
  checkFitsGraph(ds, prepared.model.snn, plan.file);
  const [{ evaluate }, { buildEvalReport }] = await Promise.all([import('../eval/evaluate.js'), import('../eval/report-record.js')]);
  const result = await namingFlagsAsync(runFlags(plan), () =>
    evaluate(prepared.model, ds, {
      ...sim,
      batchSize: plan.run.batchSize,
      threads: plan.run.threads,
      maxMemoryBytes: plan.run.maxMemoryBytes,
      onProgress: (phase, done, total) => progress.update(batchText(phase === 'ann' ? 'ANN' : `SNN, T=${sim.timesteps}`, done, total)),
    }),
  );
  return buildEvalReport({
    model: plan.file,
    dataset: plan.data.spec,
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
export async function measure(plan: EvalPlan, progress: Progress): Promise<EvalReport> {
  progress.update(`loading ${plan.data.spec}`);
  const ds = await loadEvalData(plan, progress);
  const prepared = await prepareSnn(plan, progress);
  return runEvaluation(prepared, ds, plan, progress);
}
