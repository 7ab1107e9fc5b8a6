/**
 * The eval report: a plain record (written as JSON with --json; report/ renders it as text,
 * HTML and charts, check compares it with a baseline). Timing lives in its own field so that
 * the rest is reproducible byte for byte.
 */
import type { ConversionSettings } from '../model/conversion-settings.js';
import type { Preprocess } from '../model/dataset.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { firstStepWithin, type EvalResult, type LayerResult } from './evaluate.js';

export const EVAL_SCHEMA_VERSION = 1;

export interface EvalReport {
  schemaVersion: number;
  model: string;
  dataset: string;
  samples: number;
  ann: { accuracy: number };
  snn: {
    timesteps: number;
    accuracyByStep: number[];
    finalAccuracy: number;
    /** First t within 1 pp / 0.1 pp of the ANN, null if never within T steps. */
    latency: { within1pp: number | null; within0_1pp: number | null };
  };
  conversion: ConversionSettings;
  runtime: RuntimeSettings;
  preprocess: Preprocess;
  layers: LayerResult[];
  /** Synaptic operations and MACs of the non-spiking output layer. */
  readout: EvalResult['readout'];
  /** Energy per image, an estimate (see eval/energy.ts). */
  energy: EvalResult['energy'];
  timing?: { calibrationSeconds: number; annSeconds: number; snnSeconds: number; totalSeconds: number };
}

export function buildEvalReport(args: {
  model: string;
  dataset: string;
  result: EvalResult;
  timesteps: number;
  conversion: ConversionSettings;
  runtime: RuntimeSettings;
  preprocess: Preprocess;
  timing?: EvalReport['timing'];
}): EvalReport {
  const { result } = args;
  const acc = result.accuracyByStep;
  return {
    schemaVersion: EVAL_SCHEMA_VERSION,
    model: args.model,
    dataset: args.dataset,
    samples: result.samples,
    ann: { accuracy: result.annAccuracy },
    snn: {
      timesteps: args.timesteps,
      accuracyByStep: acc,
      finalAccuracy: acc[acc.length - 1]!,
      latency: { within1pp: firstStepWithin(acc, result.annAccuracy, 1), within0_1pp: firstStepWithin(acc, result.annAccuracy, 0.1) },
    },
    conversion: args.conversion,
    runtime: args.runtime,
    preprocess: args.preprocess,
    layers: result.layers,
    readout: result.readout,
    energy: result.energy,
    ...(args.timing ? { timing: args.timing } : {}),
  };
}

/** Steps shown in the text table: 1, 2, 4, ... up to T, and T itself. */
export function reportedSteps(T: number): number[] {
  const steps: number[] = [];
  for (let t = 1; t <= T; t *= 2) steps.push(t);
  if (steps[steps.length - 1] !== T) steps.push(T);
  return steps;
}
