/**
 * Accuracy versus timesteps: the reference ANN and the SNN on the same samples, the SNN's
 * prediction read at every step t = 1..T of one run, with per-layer activity.
 */
import type { Dataset } from '../model/dataset.js';
import type { SnnModel } from '../model/snn-model.js';
import { inferShapes } from '../ir/shapes.js';
import { estimateEnergy, opCosts, weightedFeeding, type EnergyEstimate, type OpCost } from './energy.js';
import { sizeOf } from '../ir/tensor.js';
import { accuracyOf, runAnn } from '../runtime/ann.js';
import { simulate, type SimulateOptions } from '../runtime/simulate.js';
import { LayerErrors } from './layer-error.js';

export type EvalOptions = SimulateOptions;

export interface LayerResult {
  name: string;
  neurons: number;
  /** Mean spikes per neuron per timestep. */
  firingRate: number;
  /** Fraction of (neuron, sample) pairs firing at the refractory ceiling r_max. */
  saturatedFraction: number;
  /** Fraction of positive calibration activations above lambda. */
  clippedFraction: number;
  lambda: number[];
  /** Synaptic operations per image of the conv / dense layers feeding this layer (whole run). */
  synOpsPerImage: number;
  /** Their multiply-accumulates per image in the ANN. */
  annMacsPerImage: number;
  /** Multiply-accumulates per image they still cost in the SNN (computed once on a static input). */
  snnMacsPerImage: number;
  /** Rates against the ANN's on the first images (eval/layer-error.ts): mean |r - r*| / mean r*. */
  rateError?: number;
  /** Mean (r - r*) / mean r*: below 0 the layer fires less than its ANN asks. */
  rateBias?: number;
  /** Images the rate error is measured on. */
  rateErrorSamples?: number;
}

export interface EvalResult {
  samples: number;
  annAccuracy: number;
  /** Element t-1: accuracy of the output accumulated over steps 1..t. */
  accuracyByStep: number[];
  layers: LayerResult[];
  /** The non-spiking output layer's share and the whole network's estimate. */
  readout: { synOpsPerImage: number; annMacsPerImage: number; snnMacsPerImage: number };
  energy: EnergyEstimate;
  /** Simulation batch actually used (bounded by the memory budget). */
  simBatch: number;
  annSeconds: number;
  snnSeconds: number;
}

export async function evaluate(model: SnnModel, ds: Dataset, options: EvalOptions): Promise<EvalResult> {
  const T = options.timesteps;
  const annBegan = performance.now();
  const annPredictions = await runAnn(model.ann, ds, model.preprocess, {
    threads: options.threads,
    batchSize: options.batchSize,
    onBatch: (done, total) => options.onProgress?.('ann', done, total),
    ...(options.maxMemoryBytes ? { maxMemoryBytes: options.maxMemoryBytes } : {}),
  });
  const annSeconds = (performance.now() - annBegan) / 1000;

  const diagnose = await LayerErrors.collect(model, ds, { threads: options.threads, batchSize: options.batchSize });
  const run = await simulate(model, ds, {
    ...options,
    spikeCounts: { layers: diagnose.layerNames(), samples: diagnose.samples, visit: (layer, counts, start, count) => diagnose.add(layer, counts, start, count, T) },
  });
  const { activity, inputEvents } = run;
  const errors = diagnose.result();

  const shapes = inferShapes(model.snn);
  const calibration = new Map(model.calibration.map((c) => [c.layer, c]));
  const costs = opCosts(model.snn, inputEvents, ds.count);
  const feeding = (value: string) => {
    const ops = weightedFeeding(model.snn, value).map((n) => costs.get(n.name)!);
    const sum = (f: (c: OpCost) => number) => ops.reduce((s, c) => s + f(c), 0);
    return { synOpsPerImage: sum((c) => c.synOps), annMacsPerImage: sum((c) => c.annMacs), snnMacsPerImage: sum((c) => c.snnMacs) };
  };
  const layers = model.snn.nodes.flatMap((node): LayerResult[] => {
    if (node.op !== 'spike') return [];
    const neurons = sizeOf(shapes.get(node.output)!);
    const a = activity.get(node.name) ?? { spikes: 0, saturated: 0 };
    return [
      {
        name: node.name,
        neurons,
        firingRate: a.spikes / (neurons * T * ds.count),
        saturatedFraction: a.saturated / (neurons * ds.count),
        clippedFraction: calibration.get(node.name)?.clippedFraction ?? 0,
        lambda: node.lambda,
        ...feeding(node.inputs[0]!),
        ...(errors.has(node.name)
          ? { rateError: errors.get(node.name)!.rateError, rateBias: errors.get(node.name)!.rateBias, rateErrorSamples: diagnose.samples }
          : {}),
      },
    ];
  });
  return {
    samples: ds.count,
    annAccuracy: accuracyOf(annPredictions, ds.labels),
    accuracyByStep: run.accuracyByStep,
    layers,
    readout: feeding(model.snn.output),
    energy: estimateEnergy(costs.values()),
    simBatch: run.simBatch,
    annSeconds,
    snnSeconds: run.seconds,
  };
}

/** First t (1-based) at which accuracy is within `pp` percentage points of the ANN, or null. */
export function firstStepWithin(accuracyByStep: readonly number[], annAccuracy: number, pp: number): number | null {
  // A tiny tolerance absorbs float noise in accuracies that are ratios of the same count.
  const i = accuracyByStep.findIndex((a) => a >= annAccuracy - pp / 100 - 1e-12);
  return i < 0 ? null : i + 1;
}
