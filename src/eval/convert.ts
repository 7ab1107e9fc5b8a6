/**
 * ANN -> SNN: calibrate on training images (the ANN on onnxruntime), then run the convert
 * pipeline. Returns the converted network with everything needed to run it again.
 */
import { checkFits, limitDataset, type Preprocess } from '../io/data/dataset.js';
import { loadDataset, type DataOptions } from '../io/data/registry.js';
import type { LoadedAnn } from '../io/load-model.js';
import type { ConversionSettings, SnnModel } from '../io/snn-file.js';
import type { NeuronLayerParams } from '../ir/graph.js';
import { convertPipeline } from '../passes/pipelines.js';
import { runPasses } from '../passes/pass.js';
import { collectActivationStats } from '../runtime/activation-stats.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { calibrateLayers } from './calibrate.js';

export interface ConvertRun {
  threads?: number;
  batchSize: number;
  data: DataOptions;
  onBatch?: (done: number, total: number) => void;
  onLayer?: (text: string) => void;
  /** The run the conversion is calibrated for (seed, encoding, noise). */
  runtime?: RuntimeSettings;
}

/** snnc's conversion defaults (the CLI's defaults), for everything but the calibration data. */
export const DEFAULT_CONVERSION: Omit<ConversionSettings, 'calibData'> = {
  percentile: 99.99,
  channelwise: false,
  calibSamples: 1000,
  reset: 'subtract',
  tRefSteps: 0,
  vInitFraction: 0.5,
  vInitRandom: false,
  predistort: false,
  neuron: 'if',
  readout: 'membrane',
  maxpool: 'spiking',
  calibrate: 'none',
  calibTimesteps: 32,
};

export function neuronOf(settings: ConversionSettings): NeuronLayerParams {
  return {
    model: settings.neuron,
    vThreshold: 1,
    vReset: 0,
    reset: settings.reset,
    vInitFraction: settings.vInitFraction,
    ...(settings.vInitRandom ? { vInitRandom: true } : {}),
    ...(settings.predistort ? { predistort: true } : {}),
    tRefSteps: settings.tRefSteps,
    ...(settings.neuron === 'lif' ? { tauSteps: settings.tauSteps } : {}),
  };
}

export async function convertAnn(
  ann: LoadedAnn,
  preprocess: Preprocess,
  settings: ConversionSettings,
  run: ConvertRun,
): Promise<{ model: SnnModel; log: string[]; seconds: number }> {
  const began = performance.now();
  const calib = limitDataset(loadDataset(settings.calibData, run.data), settings.calibSamples);
  checkFits(calib, ann.graph.input.shape, ann.file);
  const stats = await collectActivationStats(
    ann.graph,
    calib,
    preprocess,
    { percentile: settings.percentile, channelwise: settings.channelwise },
    { threads: run.threads, batchSize: run.batchSize, onBatch: run.onBatch },
  );
  const converted = runPasses(ann.graph, convertPipeline(stats, neuronOf(settings)));
  let model: SnnModel = {
    source: { model: ann.file, sha256: ann.sha256 },
    preprocess,
    conversion: { ...settings, calibSamples: calib.count },
    calibration: [...stats].map(([layer, s]) => ({ layer, ...s })),
    snn: converted.graph,
    ann: ann.graph,
  };
  const log = converted.log;
  if (settings.calibrate !== 'none') {
    const calibrated = await calibrateLayers(model, calib, settings.calibTimesteps, settings.calibrate, {
      threads: run.threads,
      batchSize: run.batchSize,
      ...(run.runtime ? { runtime: run.runtime } : {}),
      onLayer: (layer, i, n) => run.onLayer?.(`calibrating ${settings.calibrate} of ${layer} (${i + 1}/${n})`),
    });
    model = calibrated.model;
    log.push(...calibrated.log);
  }
  return { model, log, seconds: (performance.now() - began) / 1000 };
}
