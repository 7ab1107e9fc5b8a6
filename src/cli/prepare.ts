/**
 * What eval, convert (and later sweep and check) share: open the model, and for an ANN
 * calibrate and convert it; for a converted network, reuse what it stores.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { convertAnn } from '../eval/convert.js';
import { checkPreprocess } from '../io/data/dataset.js';
import { loadModel } from '../io/load-model.js';
import type { SnnModel } from '../io/snn-file.js';
import { CONVERSION_FLAGS, conversionSettings, dataOptions, preprocessOptions, type RawOptions } from './options.js';
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
  timesteps?: number,
): Promise<Prepared> {
  progress.update(`loading ${file}`);
  const loaded = loadModel(file);
  if (loaded.kind === 'snn') {
    const given = CONVERSION_FLAGS.filter((k) => cmd.getOptionValueSource(k) === 'cli');
    if (given.length > 0) {
      throw new UserError(`${file} is already converted: --${given.map(kebab).join(', --')} would have no effect; convert the ANN again instead`);
    }
    const preprocess = preprocessOptions(o, loaded.model.preprocess);
    checkPreprocess(preprocess, loaded.model.snn.input.shape[0]!);
    return { model: { ...loaded.model, preprocess }, calibrationSeconds: 0, log: [] };
  }
  const preprocess = preprocessOptions(o);
  checkPreprocess(preprocess, loaded.graph.input.shape[0]!);
  const settings = conversionSettings(o, (m) => progress.warn(m), timesteps);
  const converted = await convertAnn(loaded, preprocess, settings, {
    threads: run.threads,
    batchSize: run.batchSize,
    data: dataOptions(o),
    onBatch: (done, total) => progress.update(batchText(`calibrating on ${settings.calibData}`, done, total)),
    onLayer: (text) => progress.update(text),
  });
  return { model: converted.model, calibrationSeconds: converted.seconds, log: [...loaded.log, ...converted.log] };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
