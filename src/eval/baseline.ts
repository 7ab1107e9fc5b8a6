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
  measuredOn?: Record<string, unknown>;
}

export interface ConditionResult {
  name: string;
  passed: boolean;
  /** e.g. ">= 97.80% (baseline 98.30% - tolerance 0.50 pp)". */
  expected: string;
  measured: string;
}

const TOP_KEYS = ['format', 'schemaVersion', 'timesteps', 'tolerance', 'annAccuracy', 'accuracy', 'dropFromAnn', 'meanFiringRate', 'latency', 'measuredOn'];

type Obj = Record<string, unknown>;

function record(v: unknown, where: string, keys: readonly string[], required: readonly string[] = keys): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UserError(`${where}: expected a mapping, got ${JSON.stringify(v)}`);
  const o = v as Obj;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new UserError(`${where}: unknown field '${k}' (expected ${keys.join(', ')})`);
  for (const k of required) if (!(k in o)) throw new UserError(`${where}: field '${k}' is missing`);
  return o;
}

function num(v: unknown, where: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${where}: expected a number, got ${JSON.stringify(v)}`);
  if (integer && !Number.isInteger(v)) throw new UserError(`${where}: expected an integer, got ${v}`);
  if (v < min || v > max) throw new UserError(`${where}: ${v} is outside [${min}, ${max}]`);
  return v;
}

function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new UserError(`${where}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a parsed baseline; `file` names it in errors. */
export function parseBaseline(data: unknown, file: string): Baseline {
  const o = record(data, file, TOP_KEYS, ['format', 'schemaVersion', 'timesteps']);
  if (o.format !== BASELINE_FORMAT) throw new UserError(`${file}: format is '${String(o.format)}', expected '${BASELINE_FORMAT}'`);
  if (o.schemaVersion !== BASELINE_SCHEMA_VERSION) throw new UserError(`${file}: schemaVersion ${String(o.schemaVersion)} is not supported (expected ${BASELINE_SCHEMA_VERSION})`);
  const T = num(o.timesteps, `${file}: timesteps`, 1, 100000, true);
  const tol = o.tolerance === undefined ? {} : record(o.tolerance, `${file}: tolerance`, ['accuracy', 'firingRate', 'steps'], []);
  const b: Baseline = {
    format: BASELINE_FORMAT,
    schemaVersion: BASELINE_SCHEMA_VERSION,
    timesteps: T,
    tolerance: {
      accuracy: tol.accuracy === undefined ? DEFAULT_TOLERANCE.accuracy : num(tol.accuracy, `${file}: tolerance.accuracy`, 0, 1),
      firingRate: tol.firingRate === undefined ? DEFAULT_TOLERANCE.firingRate : num(tol.firingRate, `${file}: tolerance.firingRate`, 0, 100),
      steps: tol.steps === undefined ? DEFAULT_TOLERANCE.steps : num(tol.steps, `${file}: tolerance.steps`, 0, 100000, true),
    },
  };
  const step = (v: unknown, where: string) => num(v, where, 1, 100000, true);
  if (o.annAccuracy !== undefined) b.annAccuracy = { min: num(record(o.annAccuracy, `${file}: annAccuracy`, ['min']).min, `${file}: annAccuracy.min`, 0, 1) };
  if (o.accuracy !== undefined) {
    b.accuracy = list(o.accuracy, `${file}: accuracy`).map((e, i) => {
      const r = record(e, `${file}: accuracy[${i}]`, ['t', 'min']);
      return { t: step(r.t, `${file}: accuracy[${i}].t`), min: num(r.min, `${file}: accuracy[${i}].min`, 0, 1) };
    });
  }
  if (o.dropFromAnn !== undefined) {
    const r = record(o.dropFromAnn, `${file}: dropFromAnn`, ['t', 'max'], ['max']);
    b.dropFromAnn = { t: r.t === undefined ? T : step(r.t, `${file}: dropFromAnn.t`), max: num(r.max, `${file}: dropFromAnn.max`, -1, 1) };
  }
  if (o.meanFiringRate !== undefined) {
    b.meanFiringRate = { max: num(record(o.meanFiringRate, `${file}: meanFiringRate`, ['max']).max, `${file}: meanFiringRate.max`, 0, 1) };
  }
  if (o.latency !== undefined) {
    b.latency = list(o.latency, `${file}: latency`).map((e, i) => {
      const r = record(e, `${file}: latency[${i}]`, ['withinPp', 'max']);
      return { withinPp: num(r.withinPp, `${file}: latency[${i}].withinPp`, 0, 100), max: step(r.max, `${file}: latency[${i}].max`) };
    });
  }
  if (o.measuredOn !== undefined) b.measuredOn = record(o.measuredOn, `${file}: measuredOn`, Object.keys(o.measuredOn as Obj), []);
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
