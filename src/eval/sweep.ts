/**
 * Sweeps: the grid of configurations (a pure plan), shards of it, the results record
 * (results.json) and the merge of shards. A configuration is a set of flag values, each
 * kept as the text the flag takes, so that the CLI parses it exactly as it parses the flag.
 *
 * Configuration ids number the full grid, first axis slowest (nested loops in --grid order);
 * shard i/n holds the ids with id mod n = i - 1, so shards are disjoint, cover the grid, and
 * merging them gives the record of the unsharded sweep.
 */
import { UserError } from '../errors.js';
import { CONVERSION, PREPROCESS } from '../io/snn-schema.js';
import { arrayOf, checkAgainst, literal, mapOf, nullable, num, object, str } from '../util/schema.js';
import type { Preprocess } from '../model/dataset.js';
import type { ConversionSettings } from '../model/conversion-settings.js';
import type { LayerResult } from './evaluate.js';

export const SWEEP_FORMAT = 'snnc-sweep';
export const SWEEP_SCHEMA_VERSION = 1;

export interface GridAxis {
  /** The long flag name without dashes, e.g. `t-ref`. */
  key: string;
  /** Flag texts, e.g. ['0', '1'] (switches: 'true' / 'false'). */
  values: string[];
}

export interface Configuration {
  id: number;
  params: Record<string, string>;
  label: string;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/**
 * Axes given twice (a config file's, then the command line's) keep the first place and the last
 * values. A value twice on one axis is an error that begins `grid <key>:`.
 */
export function normalizeGrid(axes: readonly GridAxis[]): GridAxis[] {
  const byKey = new Map<string, GridAxis>();
  for (const axis of axes) {
    const seen = new Set<string>();
    for (const v of axis.values) {
      if (seen.has(v)) throw new UserError(`grid ${axis.key}: value '${v}' is given twice`);
      seen.add(v);
    }
    byKey.set(axis.key, { key: axis.key, values: [...axis.values] });
  }
  return [...byKey.values()];
}

export function configurationLabel(params: Record<string, string>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? 'base' : parts.join(' ');
}

/** The cartesian product of the axes, first axis slowest. No axes: one configuration. */
export function expandGrid(axes: readonly GridAxis[]): Configuration[] {
  gridSize(axes);
  let combos: Record<string, string>[] = [{}];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  return combos.map((params, id) => ({ id, params, label: configurationLabel(params) }));
}

export function shardOf<T extends { id: number }>(items: readonly T[], shard: Shard): T[] {
  return items.filter((c) => c.id % shard.count === shard.index - 1);
}

export interface SweepResult {
  id: number;
  label: string;
  params: Record<string, string>;
  ann: { accuracy: number };
  snn: {
    accuracyByStep: number[];
    finalAccuracy: number;
    latency: { within1pp: number | null; within0_1pp: number | null };
  };
  /** The accuracy aimed at (--target, or 1 pp below this configuration's ANN) and the first t reaching it. */
  target: { accuracy: number; steps: number | null };
  meanFiringRate: number;
  conversion: ConversionSettings;
  preprocess: Preprocess;
  layers: LayerResult[];
}

export interface SweepTiming {
  /** Wall time of the run (of every shard, summed, after a merge). */
  totalSeconds: number;
  configurations: { id: number; calibrationSeconds: number; annSeconds: number; snnSeconds: number }[];
}

/** What defines a sweep: equal in every shard of it. */
export interface SweepHeader {
  model: string;
  dataset: string;
  samples: number;
  timesteps: number;
  /** --target, or null: 1 pp below each configuration's ANN accuracy. */
  target: number | null;
  grid: GridAxis[];
  /** Configurations in the whole grid. */
  configurations: number;
}

export interface SweepFile extends SweepHeader {
  format: typeof SWEEP_FORMAT;
  schemaVersion: number;
  /** Present in a shard's record only. */
  shard?: Shard;
  results: SweepResult[];
  timing?: SweepTiming;
}

/** Builds the record with its keys in one fixed order (results.json is compared byte for byte). */
export function sweepFile(header: SweepHeader, results: SweepResult[], shard?: Shard, timing?: SweepTiming): SweepFile {
  return {
    format: SWEEP_FORMAT,
    schemaVersion: SWEEP_SCHEMA_VERSION,
    model: header.model,
    dataset: header.dataset,
    samples: header.samples,
    timesteps: header.timesteps,
    target: header.target,
    grid: header.grid,
    configurations: header.configurations,
    ...(shard ? { shard } : {}),
    results: [...results].sort((a, b) => a.id - b.id),
    ...(timing ? { timing: { ...timing, configurations: [...timing.configurations].sort((a, b) => a.id - b.id) } } : {}),
  };
}

const HEADER_KEYS = ['model', 'dataset', 'samples', 'timesteps', 'target', 'grid', 'configurations'] as const;

/** Most configurations a grid may have (each one is a full SNN run). */
export const MAX_CONFIGURATIONS = 100_000;

const fraction = num({ min: 0, max: 1 });
const step = num({ integer: true, min: 1, max: 100_000 });
const count = num({ integer: true, min: 0 });
const seconds = num({ min: 0 });
const opsPerImage = num({ min: 0 });

const RESULT = object({
  id: num({ integer: true, min: 0, max: MAX_CONFIGURATIONS - 1 }),
  label: str,
  params: mapOf(str),
  ann: object({ accuracy: fraction }),
  snn: object({
    accuracyByStep: arrayOf(fraction, { min: 1, max: 100_000 }),
    finalAccuracy: fraction,
    latency: object({ within1pp: nullable(step), within0_1pp: nullable(step) }),
  }),
  target: object({ accuracy: num(), steps: nullable(step) }),
  meanFiringRate: num({ min: 0 }),
  conversion: CONVERSION,
  preprocess: PREPROCESS,
  layers: arrayOf(
    object({
      name: str,
      neurons: count,
      firingRate: num({ min: 0 }),
      saturatedFraction: fraction,
      clippedFraction: fraction,
      lambda: arrayOf(num()),
      synOpsPerImage: opsPerImage,
      annMacsPerImage: opsPerImage,
      snnMacsPerImage: opsPerImage,
    }),
  ),
});

/** A results.json, as data (util/schema.ts): every field merge and its renderers read. */
const SWEEP_RECORD = object({
  format: literal(SWEEP_FORMAT),
  schemaVersion: literal(SWEEP_SCHEMA_VERSION),
  model: str,
  dataset: str,
  samples: count,
  timesteps: step,
  target: nullable(fraction),
  grid: arrayOf(object({ key: str, values: arrayOf(str, { min: 1, max: MAX_CONFIGURATIONS }) }), { max: 64 }),
  configurations: num({ integer: true, min: 1, max: MAX_CONFIGURATIONS }),
  'shard?': object({ index: num({ integer: true, min: 1 }), count: num({ integer: true, min: 1 }) }),
  results: arrayOf(RESULT, { max: MAX_CONFIGURATIONS }),
  'timing?': object({
    totalSeconds: seconds,
    configurations: arrayOf(object({ id: count, calibrationSeconds: seconds, annSeconds: seconds, snnSeconds: seconds }), { max: MAX_CONFIGURATIONS }),
  }),
});

/** Configurations in the grid of `axes` (the product of their value counts); refuses a grid above MAX_CONFIGURATIONS. */
export function gridSize(axes: readonly GridAxis[], where = '--grid'): number {
  let n = 1;
  for (const axis of axes) {
    n *= axis.values.length;
    if (n > MAX_CONFIGURATIONS) throw new UserError(`${where}: more than ${MAX_CONFIGURATIONS} configurations`);
  }
  return n;
}

/** Checks a parsed results.json against the schema and its own consistency; `file` names it in errors. */
export function checkSweepFile(data: unknown, file: string): SweepFile {
  const s = checkAgainst<SweepFile>(SWEEP_RECORD, data, file);
  const size = gridSize(s.grid, `${file}: grid`);
  if (s.configurations !== size) throw new UserError(`${file}: configurations is ${s.configurations}, the grid has ${size}`);
  for (const [i, r] of s.results.entries()) {
    if (r.id >= size) throw new UserError(`${file}: results[${i}].id ${r.id} lies outside the grid of ${size}`);
    if (r.snn.accuracyByStep.length !== s.timesteps) throw new UserError(`${file}: results[${i}].snn.accuracyByStep has ${r.snn.accuracyByStep.length} values for ${s.timesteps} timesteps`);
  }
  return s;
}

/** Joins shards (or any split of one sweep) into the record of the whole sweep. */
export function mergeSweeps(parts: readonly { file: string; sweep: SweepFile }[], keepTiming: boolean): SweepFile {
  if (parts.length === 0) throw new UserError('merge: no results given');
  const first = parts[0]!;
  for (const p of parts.slice(1)) {
    for (const k of HEADER_KEYS) {
      if (JSON.stringify(p.sweep[k]) !== JSON.stringify(first.sweep[k])) {
        throw new UserError(`${p.file}: ${k} is ${JSON.stringify(p.sweep[k])}, ${first.file} has ${JSON.stringify(first.sweep[k])}: not shards of one sweep`);
      }
    }
  }
  const byId = new Map<number, { file: string; result: SweepResult }>();
  for (const p of parts) {
    for (const r of p.sweep.results) {
      const prev = byId.get(r.id);
      if (prev) throw new UserError(`configuration ${r.id} (${r.label}) is in both ${prev.file} and ${p.file}`);
      byId.set(r.id, { file: p.file, result: r });
    }
  }
  const total = first.sweep.configurations;
  const missing = Array.from({ length: total }, (_, id) => id).filter((id) => !byId.has(id));
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', ...' : '');
    throw new UserError(`merge: ${missing.length} of ${total} configurations missing (ids ${shown}): is a shard left out?`);
  }
  const extra = [...byId.keys()].filter((id) => id >= total);
  if (extra.length > 0) throw new UserError(`merge: configuration ids ${extra.join(', ')} lie outside the grid of ${total}`);
  const timed = parts.every((p) => p.sweep.timing !== undefined);
  const timing: SweepTiming | undefined =
    keepTiming && timed
      ? {
          totalSeconds: parts.reduce((s, p) => s + p.sweep.timing!.totalSeconds, 0),
          configurations: parts.flatMap((p) => p.sweep.timing!.configurations),
        }
      : undefined;
  return sweepFile(first.sweep, [...byId.values()].map((v) => v.result), undefined, timing);
}
