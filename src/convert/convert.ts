/**
 * ANN -> SNN: calibrate on training images (the ANN on onnxruntime), then run the convert
 * pipeline. Returns the converted network with everything needed to run it again.
 */
import { fitLambda } from './lambda-fit.js';
import { maxRate } from '../snn/layer.js';
import { checkFits, limitDataset, type Dataset, type Preprocess } from '../model/dataset.js';
import type { LoadedAnn } from '../io/load-model.js';
import { DEEP_DEFAULTS, DEEP_NETWORK_LAYERS, VINIT_SEARCH_FIRST_STEP, VINIT_SEARCH_SAMPLES, type ConversionOptions, type ConversionSettings } from '../model/conversion-settings.js';
import type { SnnModel } from '../model/snn-model.js';
import type { NeuronLayerParams } from '../ir/graph.js';
import { convertPipeline } from '../passes/pipelines.js';
import { runPasses } from '../passes/pass.js';
import { sampleActivations } from '../runtime/activation-stats.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { maxpoolToAvgpool } from '../passes/maxpool-to-avgpool.js';
import { calibRunImages, calibrateLayers } from './calibrate.js';
import { simulate } from '../runtime/simulate.js';

export interface ConvertRun {
  threads?: number;
  batchSize: number;
  onBatch?: (done: number, total: number) => void;
  onLayer?: (text: string) => void;
  /** Warnings about what the conversion changes. */
  warn?: (message: string) => void;
  /** The run the conversion is calibrated for (seed, encoding, noise). */
  runtime?: RuntimeSettings;
  /** The run's memory budget (--max-memory); default: half of this machine's memory. */
  maxMemoryBytes?: number;
}

export function neuronOf(settings: ConversionOptions): NeuronLayerParams {
  return {
    model: settings.neuron,
    vThreshold: 1,
    vReset: 0,
    reset: settings.reset,
    vInitFraction: settings.vInitFraction,
    ...(settings.vInitRandom ? { vInitRandom: true } : {}),
    ...(settings.predistort ? { predistort: true } : {}),
    ...(settings.signedSpikes ? { signed: true } : {}),
    tRefSteps: settings.tRefSteps,
    ...(settings.neuron === 'lif' ? { tauSteps: settings.tauSteps } : {}),
  };
}

/** Percentiles `--percentile auto` tries. */
export const PERCENTILE_CANDIDATES = [99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];

/**
 * With --target nir, lower percentiles too: after a reset to zero the charge above the
 * threshold is lost and a neuron starts from v(0) = 0, so it fires later and less than the
 * ANN asks; a smaller scale (more current per threshold) makes up for both, at the cost of
 * clipping the largest activations.
 */
export const NIR_PERCENTILE_CANDIDATES = [90, 93, 95, 97, 98, 99, 99.5, 99.9, 99.99, 100];

/**
 * Converts `ann` with lambda taken from the first settings.calibSamples images of `calibData`;
 * the stored settings name that dataset and count the images used.
 */
export async function convertAnn(
  ann: LoadedAnn,
  preprocess: Preprocess,
  options: ConversionOptions,
  calibData: Dataset,
  run: ConvertRun,
): Promise<{ model: SnnModel; log: string[]; seconds: number }> {
  const began = performance.now();
  const calib = limitDataset(calibData, options.calibSamples);
  const log: string[] = [];
  const deep = deepSettings(options, ann.graph.nodes.filter((n) => n.op === 'relu').length);
  if (deep.log) log.push(deep.log);
  const settings: ConversionSettings = { ...deep.options, calibSamples: calib.count, calibData: calib.name };
  checkFits(calib, ann.graph.input.shape, ann.file);
  let annGraph = ann.graph;
  if (settings.maxpool === 'avg') {
    const replaced = runPasses(annGraph, [maxpoolToAvgpool]);
    annGraph = replaced.graph;
    log.push(...replaced.log);
    if (replaced.log.length > 0) run.warn?.('maxpool avg converts a different network: max pooling becomes average pooling (the ANN accuracy reported is the original\'s)');
  }
  const samples = await sampleActivations(
    annGraph,
    calib,
    preprocess,
    { channelwise: settings.channelwise, output: settings.readout === 'spikes' },
    { threads: run.threads, batchSize: run.batchSize, onBatch: run.onBatch, ...(run.maxMemoryBytes ? { maxMemoryBytes: run.maxMemoryBytes } : {}) },
  );
  const build = (percentile: number, chosen: ConversionSettings = settings): { model: SnnModel; log: string[] } => {
    const stats = chosen.percentileFit
      ? samples.statsWith((values) => fitLambda(values, chosen.fitTimesteps ?? chosen.calibTimesteps, maxRate(chosen.tRefSteps)))
      : samples.stats(percentile);
    const converted = runPasses(annGraph, convertPipeline(stats, neuronOf(chosen)));
    const model: SnnModel = {
      source: { model: ann.file, sha256: ann.sha256 },
      preprocess,
      conversion: { ...chosen, percentile },
      calibration: [...stats].map(([layer, s]) => ({ layer, ...s })),
      snn: converted.graph,
      ann: ann.graph,
    };
    return { model, log: converted.log };
  };
  // The searches simulate candidates on the calibration images: as many as layer calibration
  // uses (all for shallow networks, fewer for deep ones, whose simulations cost more).
  const searchImages = limitDataset(calib, calibRunImages(calib.count, annGraph.nodes.filter((n) => n.op === 'relu').length));
  let percentile = settings.percentile;
  let percentileSearch: ConversionSettings['percentileSearch'];
  if (settings.percentileAuto && !settings.percentileFit) {
    const search = await searchPercentile(build, settings.target === 'nir' ? NIR_PERCENTILE_CANDIDATES : PERCENTILE_CANDIDATES, searchImages, settings.calibTimesteps, run);
    percentile = search.best;
    percentileSearch = search.tried;
    log.push(`percentile auto: ${search.tried.map((c) => `p${c.percentile} ${(100 * c.accuracy).toFixed(2)}%`).join(', ')} on ${searchImages.count} calibration images at T=${settings.calibTimesteps}: p${percentile}`);
  }
  let chosen: ConversionSettings = percentileSearch ? { ...settings, percentileSearch } : settings;
  if (settings.vInitAuto) {
    const search = await searchVInit((c) => build(percentile, c), chosen, searchImages, settings.calibTimesteps, run);
    chosen = search.best;
    log.push(`v-init auto: mean accuracy over t = ${Math.min(VINIT_SEARCH_FIRST_STEP, settings.calibTimesteps)}..${settings.calibTimesteps} on ${Math.min(searchImages.count, VINIT_SEARCH_SAMPLES)} calibration images: ${search.tried.map((c) => `${c.vInit} ${(100 * c.accuracy).toFixed(2)}%`).join(', ')}: ${chosen.vInitRandom ? 'random' : '0.5'}`);
  }
  const built = build(percentile, chosen);
  let model: SnnModel = built.model;
  log.push(...built.log);
  if (settings.calibrate !== 'none') {
    const calibrated = await calibrateLayers(model, calib, settings.calibTimesteps, settings.calibrate, {
      threads: run.threads,
      batchSize: run.batchSize,
      ...(run.runtime ? { runtime: run.runtime } : {}),
      ...(run.maxMemoryBytes ? { maxMemoryBytes: run.maxMemoryBytes } : {}),
      onLayer: (layer, i, n) => run.onLayer?.(`calibrating ${settings.calibrate} of ${layer} (${i + 1}/${n})`),
    }, { group: settings.calibGroup ?? 1 });
    model = calibrated.model;
    log.push(...calibrated.log);
  }
  return { model, log, seconds: (performance.now() - began) / 1000 };
}

/**
 * The settings of a network with `layers` spiking layers: a deep one (DEEP_NETWORK_LAYERS or
 * more) gets DEEP_DEFAULTS in place of the settings the user left at their defaults
 * (options.deepDefaults); the stored settings list those replaced. Shallow networks keep the
 * defaults: on the 3-layer MNIST CNNs the deep settings change accuracy by at most 0.2 pp at
 * T = 32 and the calibration more than doubles the conversion time (docs/deep-networks.md).
 * With signed spikes the deep defaults are DEEP_DEFAULTS.signed's: λ fitted for the whole run,
 * no calibration.
 */
export function deepSettings(options: ConversionOptions, layers: number): { options: ConversionOptions; log?: string } {
  const { deepDefaults, ...rest } = options;
  if (!deepDefaults || deepDefaults.length === 0 || layers < DEEP_NETWORK_LAYERS || options.target === 'nir') return { options: rest };
  const out: ConversionOptions = { ...rest, deepDefaults: [...deepDefaults] };
  const what: string[] = [];
  const deep = options.signedSpikes ? { ...DEEP_DEFAULTS, ...DEEP_DEFAULTS.signed } : DEEP_DEFAULTS;
  if (deepDefaults.includes('channelwise')) {
    out.channelwise = DEEP_DEFAULTS.channelwise;
    what.push('channel-wise λ');
  }
  if (deepDefaults.includes('percentile')) {
    out.percentileFit = DEEP_DEFAULTS.percentileFit;
    out.percentileAuto = false;
    out.fitTimesteps = options.fitTimesteps ?? Math.max(1, Math.round(options.calibTimesteps * deep.fitTimestepsFraction));
    what.push(`λ fitted for T=${out.fitTimesteps}`);
  }
  if (deepDefaults.includes('calibrate')) {
    out.calibrate = deep.calibrate;
    what.push(deep.calibrate === 'none' ? 'no calibration (signed spikes)' : `${deep.calibrate} calibration at T=${options.calibTimesteps}`);
  }
  return { options: out, log: `deep network (${layers} spiking layers >= ${DEEP_NETWORK_LAYERS}): ${what.join(', ')} in place of the defaults (docs/deep-networks.md)` };
}

/** A candidate conversion's SNN accuracy on the calibration images at step T (the searches' measure). */
async function accuracyAt(model: SnnModel, calib: Dataset, timesteps: number, run: ConvertRun): Promise<number> {
  const r = await simulate(model, calib, { timesteps, batchSize: run.batchSize, ...(run.threads ? { threads: run.threads } : {}), ...(run.runtime ? { runtime: run.runtime } : {}), ...(run.maxMemoryBytes ? { maxMemoryBytes: run.maxMemoryBytes } : {}) });
  return r.accuracyByStep[timesteps - 1]!;
}

/** A candidate conversion's SNN accuracy on `images` averaged over steps 2..T (step 1 if T = 1). */
async function meanAccuracy(model: SnnModel, images: Dataset, timesteps: number, run: ConvertRun): Promise<number> {
  const r = await simulate(model, images, { timesteps, batchSize: run.batchSize, ...(run.threads ? { threads: run.threads } : {}), ...(run.runtime ? { runtime: run.runtime } : {}), ...(run.maxMemoryBytes ? { maxMemoryBytes: run.maxMemoryBytes } : {}) });
  const counted = r.accuracyByStep.slice(Math.min(VINIT_SEARCH_FIRST_STEP, timesteps) - 1);
  return counted.reduce((sum, a) => sum + a, 0) / counted.length;
}

/**
 * --percentile auto: converts at each candidate percentile and keeps the one whose SNN is most
 * accurate on the calibration images at the run's T (ties: the higher percentile, which
 * clips less).
 */
async function searchPercentile(
  build: (p: number) => { model: SnnModel },
  candidates: readonly number[],
  calib: Dataset,
  timesteps: number,
  run: ConvertRun,
): Promise<{ best: number; tried: { percentile: number; accuracy: number }[] }> {
  const tried: { percentile: number; accuracy: number }[] = [];
  for (const p of candidates) {
    run.onLayer?.(`percentile auto: trying p${p}`);
    tried.push({ percentile: p, accuracy: await accuracyAt(build(p).model, calib, timesteps, run) });
  }
  const best = tried.reduce((a, b) => (b.accuracy >= a.accuracy ? b : a));
  return { best: best.percentile, tried };
}

/**
 * --v-init auto: converts with v(0) = θ/2 and with random v(0) and keeps the one whose SNN has
 * the higher mean accuracy over steps 2..T (the area under its accuracy-vs-t curve) on the
 * first VINIT_SEARCH_SAMPLES calibration images (ties: θ/2, which is deterministic).
 * θ/2 rounds each neuron's count (floor(t z + 1/2)); random v(0) breaks the lockstep in which
 * neurons with equal v(0) fire, which networks trained with quantised activations (QCFS)
 * suffer from at short latency, and costs plain-ReLU networks a random count error instead.
 * The mean over t, not the accuracy at T, because the curves differ most at small t and meet
 * at large T; from t = 2, because at t = 1 each neuron fires at most once (a binarised
 * network, far from the ANN with either v(0)), and a plain-ReLU network that θ/2 serves best
 * from t = 2 on can be worse with it at t = 1 alone. Cost: 2 x VINIT_SEARCH_SAMPLES images
 * simulated for T steps, about 5% of an evaluation of the 10,000 MNIST test images.
 */
async function searchVInit(
  build: (settings: ConversionSettings) => { model: SnnModel },
  settings: ConversionSettings,
  calib: Dataset,
  timesteps: number,
  run: ConvertRun,
): Promise<{ best: ConversionSettings; tried: NonNullable<ConversionSettings['vInitSearch']> }> {
  const candidates = [
    { vInit: '0.5' as const, settings: { ...settings, vInitFraction: 0.5, vInitRandom: false } },
    { vInit: 'random' as const, settings: { ...settings, vInitFraction: 0.5, vInitRandom: true } },
  ];
  const images = limitDataset(calib, VINIT_SEARCH_SAMPLES);
  const tried: NonNullable<ConversionSettings['vInitSearch']> = [];
  for (const c of candidates) {
    run.onLayer?.(`v-init auto: trying ${c.vInit}`);
    tried.push({ vInit: c.vInit, accuracy: await meanAccuracy(build(c.settings).model, images, timesteps, run) });
  }
  const best = tried[1]!.accuracy > tried[0]!.accuracy ? candidates[1]! : candidates[0]!;
  return { best: { ...best.settings, vInitSearch: tried }, tried };
}
