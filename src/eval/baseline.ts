/**
 * Baselines for `snnc check`: what a run must show, as data (JSON or YAML).
 *
 *   format: snnc-baseline, schemaVersion: 1
 *   timesteps: T                       the run length the baseline was made for
 *   tolerance:                         slack that every check allows
 *     accuracy: 0.005                  absolute, as a fraction (0.005 = 0.5 pp)
 *     firingRate: 0.05                 relative (5 % above the maximum passes)
 *     steps: 2                         timesteps of latency slack
 *   annAccuracy: { min }               ANN accuracy >= min - tolerance.accuracy
 *   accuracy: [ { t, min } ]           SNN accuracy at step t >= min - tolerance.accuracy
 *   dropFromAnn: { t, max }            ANN accuracy - SNN accuracy at t <= max + tolerance.accuracy
 *   meanFiringRate: { max }            spikes / neuron / step over all spiking neurons <= max (1 + tolerance.firingRate)
 *   latency: [ { withinPp, max } ]     first t with SNN accuracy >= ANN - withinPp pp <= max + tolerance.steps
 *   measuredOn: { ... }                where --update measured it (informational)
 * Every condition field is optional; a baseline states at least one. Stored values have 6
 * significant digits, so comparisons allow a relative 1e-6.
 */
import { UserError } from '../errors.js';
import { anything, arrayOf, checkAgainst, literal, num, object, str } from '../util/schema.js';
import { reportedSteps, type EvalReport } from './report-record.js';
import { pct } from '../util/format.js';
import { firstStepWithin } from './evaluate.js';
import { meanFiringRate } from './metrics.js';

export const BASELINE_FORMAT = 'snnc-baseline';
export const BASELINE_SCHEMA_VERSION = 1;

export interface Tolerance {
  accuracy: number;
  firingRate: number;
  steps: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { accuracy: 0.005, firingRate: 0.05, steps: 2 };

export interface Baseline {
  format: typeof BASELINE_FORMAT;
  schemaVersion: number;
  timesteps: number;
  tolerance: Tolerance;
  annAccuracy?: { min: number };
  accuracy?: { t: number; min: number }[];
  dropFromAnn?: { t: number; max: number };
  meanFiringRate?: { max: number };
  latency?: { withinPp: number; max: number }[];
  measuredOn?: { model?: string; dataset?: string; samples?: number; conversion?: unknown; preprocess?: unknown };
}

export interface ConditionResult {
  name: string;
  passed: boolean;
  /** e.g. ">= 97.80% (baseline 98.30% - tolerance 0.50 pp)". */
  expected: string;
  measured: string;
}

const step = num({ integer: true, min: 1, max: 100000 });
const fraction = num({ min: 0, max: 1 });
/** Lists longer than this are no baseline anyone wrote (and would only cost time). */
const MAX_CONDITIONS = 10000;

/** A baseline file, as data (util/schema.ts); unknown fields are refused, since a misspelt condition would check nothing. */
const BASELINE = object(
  {
    format: literal(BASELINE_FORMAT),
    schemaVersion: literal(BASELINE_SCHEMA_VERSION),
    timesteps: step,
    'tolerance?': object({ 'accuracy?': fraction, 'firingRate?': num({ min: 0, max: 100 }), 'steps?': num({ integer: true, min: 0, max: 100000 }) }, { strict: true }),
    'annAccuracy?': object({ min: fraction }, { strict: true }),
    'accuracy?': arrayOf(object({ t: step, min: fraction }, { strict: true }), { max: MAX_CONDITIONS }),
    'dropFromAnn?': object({ 't?': step, max: num({ min: -1, max: 1 }) }, { strict: true }),
    'meanFiringRate?': object({ max: fraction }, { strict: true }),
    'latency?': arrayOf(object({ withinPp: num({ min: 0, max: 100 }), max: step }, { strict: true }), { max: MAX_CONDITIONS }),
    // Informational: where --update measured it; read only to warn when this run differs.
    'measuredOn?': object({ 'model?': str, 'dataset?': str, 'samples?': num({ integer: true, min: 0 }), 'conversion?': anything, 'preprocess?': anything }),
  },
  { strict: true },
);

type BaselineFile = Omit<Baseline, 'tolerance' | 'dropFromAnn'> & { tolerance?: Partial<Tolerance>; dropFromAnn?: { t?: number; max: number } };

/** Validates a parsed baseline; `file` names it in errors. */
export function parseBaseline(data: unknown, file: string): Baseline {
  const o = checkAgainst<BaselineFile>(BASELINE, data, file);
  const b: Baseline = {
    format: BASELINE_FORMAT,
    schemaVersion: BASELINE_SCHEMA_VERSION,
    timesteps: o.timesteps,
    tolerance: { ...DEFAULT_TOLERANCE, ...o.tolerance },
    ...(o.annAccuracy ? { annAccuracy: { min: o.annAccuracy.min } } : {}),
    ...(o.accuracy ? { accuracy: o.accuracy.map((a) => ({ t: a.t, min: a.min })) } : {}),
    ...(o.dropFromAnn ? { dropFromAnn: { t: o.dropFromAnn.t ?? o.timesteps, max: o.dropFromAnn.max } } : {}),
    ...(o.meanFiringRate ? { meanFiringRate: { max: o.meanFiringRate.max } } : {}),
    ...(o.latency ? { latency: o.latency.map((l) => ({ withinPp: l.withinPp, max: l.max })) } : {}),
    ...(o.measuredOn ? { measuredOn: o.measuredOn } : {}),
  };
  if (conditionCount(b) === 0) throw new UserError(`${file}: states no condition (give annAccuracy, accuracy, dropFromAnn, meanFiringRate or latency)`);
  return b;
}

export function conditionCount(b: Baseline): number {
  return (b.annAccuracy ? 1 : 0) + (b.accuracy?.length ?? 0) + (b.dropFromAnn ? 1 : 0) + (b.meanFiringRate ? 1 : 0) + (b.latency?.length ?? 0);
}

/** The largest t a baseline looks at. */
export function largestStep(b: Baseline): number {
  return Math.max(0, ...(b.accuracy ?? []).map((a) => a.t), b.dropFromAnn?.t ?? 0);
}

const atLeast = (measured: number, bound: number) => measured >= bound - 1e-9 - 1e-6 * Math.abs(bound);
const atMost = (measured: number, bound: number) => measured <= bound + 1e-9 + 1e-6 * Math.abs(bound);
const round6 = (x: number) => Number(x.toPrecision(6));
const pp = (x: number) => `${(100 * x).toFixed(2)} pp`;

/** Evaluates every condition of `b` on a run (whose T must cover every t that `b` names). */
export function checkBaseline(b: Baseline, r: EvalReport): ConditionResult[] {
  const tol = b.tolerance;
  const acc = r.snn.accuracyByStep;
  const out: ConditionResult[] = [];
  const minCheck = (name: string, measured: number, min: number) => {
    const bound = min - tol.accuracy;
    out.push({ name, passed: atLeast(measured, bound), expected: `>= ${pct(bound)} (baseline ${pct(min)} - tolerance ${pp(tol.accuracy)})`, measured: pct(measured) });
  };
  if (b.annAccuracy) minCheck('ANN accuracy', r.ann.accuracy, b.annAccuracy.min);
  for (const a of b.accuracy ?? []) minCheck(`SNN accuracy at t=${a.t}`, acc[a.t - 1]!, a.min);
  if (b.dropFromAnn) {
    const { t, max } = b.dropFromAnn;
    const drop = r.ann.accuracy - acc[t - 1]!;
    const bound = max + tol.accuracy;
    out.push({ name: `drop from the ANN at t=${t}`, passed: atMost(drop, bound), expected: `<= ${pp(bound)} (baseline ${pp(max)} + tolerance ${pp(tol.accuracy)})`, measured: pp(drop) });
  }
  if (b.meanFiringRate) {
    const rate = meanFiringRate(r.layers);
    const bound = b.meanFiringRate.max * (1 + tol.firingRate);
    out.push({
      name: 'mean firing rate',
      passed: atMost(rate, bound),
      expected: `<= ${round6(bound)} spikes/neuron/step (baseline ${b.meanFiringRate.max} + ${(100 * tol.firingRate).toFixed(1)}%)`,
      measured: String(round6(rate)),
    });
  }
  for (const l of b.latency ?? []) {
    const t = firstStepWithin(acc, r.ann.accuracy, l.withinPp);
    const bound = l.max + tol.steps;
    out.push({
      name: `latency within ${l.withinPp} pp of the ANN`,
      passed: t !== null && t <= bound,
      expected: `t <= ${bound} (baseline ${l.max} + tolerance ${tol.steps})`,
      measured: t === null ? `not within ${l.withinPp} pp by t=${acc.length}` : `t=${t}`,
    });
  }
  return out;
}


/**
 * The baseline a run meets exactly: `previous`'s conditions and tolerance with the measured
 * values, or (no previous baseline) the ANN accuracy, the SNN accuracy at t = 1, 2, 4, ..., T,
 * the drop at T, the mean firing rate and the latency within 1 pp. A latency never reached
 * within T is left out (returned in `dropped`).
 */
export function baselineFromRun(r: EvalReport, previous: Baseline | null, measuredOn: Record<string, unknown>): { baseline: Baseline; dropped: string[] } {
  const T = r.snn.timesteps;
  const acc = r.snn.accuracyByStep;
  const p: Baseline = previous ?? {
    format: BASELINE_FORMAT,
    schemaVersion: BASELINE_SCHEMA_VERSION,
    timesteps: T,
    tolerance: { ...DEFAULT_TOLERANCE },
    annAccuracy: { min: 0 },
    accuracy: reportedSteps(T).map((t) => ({ t, min: 0 })),
    dropFromAnn: { t: T, max: 0 },
    meanFiringRate: { max: 0 },
    latency: [{ withinPp: 1, max: 1 }],
  };
  const dropped: string[] = [];
  const latency = (p.latency ?? []).flatMap((l) => {
    const t = firstStepWithin(acc, r.ann.accuracy, l.withinPp);
    if (t === null) dropped.push(`latency within ${l.withinPp} pp (not reached by t=${T})`);
    return t === null ? [] : [{ withinPp: l.withinPp, max: t }];
  });
  const baseline: Baseline = {
    format: BASELINE_FORMAT,
    schemaVersion: BASELINE_SCHEMA_VERSION,
    timesteps: T,
    tolerance: p.tolerance,
    ...(p.annAccuracy ? { annAccuracy: { min: round6(r.ann.accuracy) } } : {}),
    ...(p.accuracy ? { accuracy: p.accuracy.map((a) => ({ t: a.t, min: round6(acc[a.t - 1]!) })) } : {}),
    ...(p.dropFromAnn ? { dropFromAnn: { t: p.dropFromAnn.t, max: round6(r.ann.accuracy - acc[p.dropFromAnn.t - 1]!) } } : {}),
    ...(p.meanFiringRate ? { meanFiringRate: { max: round6(meanFiringRate(r.layers)) } } : {}),
    ...(latency.length > 0 ? { latency } : {}),
    measuredOn,
  };
  return { baseline, dropped };
}
