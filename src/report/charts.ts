/**
 * Vega-Lite specs of snnc's charts (rendered to SVG by svg.ts): accuracy versus timesteps,
 * the latency/accuracy Pareto front of a sweep, and per-layer bars. Specs only: no data is
 * computed here beyond reshaping it into rows.
 */
import path from 'node:path';
import { paretoOptimal } from '../eval/metrics.js';
import type { SweepFile } from '../eval/sweep.js';
import type { EvalReport } from '../eval/report-record.js';
import type { ChartSpec } from './svg.js';
import { pct } from '../util/format.js';

export interface AccuracyLine {
  label: string;
  /** Element t-1: accuracy at step t. */
  accuracyByStep: readonly number[];
}

export interface ReferenceLevel {
  label: string;
  accuracy: number;
}

export interface ParetoPoint {
  label: string;
  /** Timesteps needed to reach the target accuracy, null if not reached by T. */
  steps: number | null;
  /** Accuracy at the last timestep T. */
  accuracy: number;
  optimal: boolean;
}

const WIDTH = 640;
const HEIGHT = 360;

/** Titles longer than the plot (long dataset paths) are cut with an ellipsis rather than widening the chart. */
function chartTitle(title: { text: string; subtitle?: string | string[] }) {
  return { text: title.text, ...(title.subtitle ? { subtitle: title.subtitle } : {}), anchor: 'start' as const, limit: WIDTH, subtitleColor: '#555' };
}

/** Up to 10 lines get tableau10, up to 20 category20; beyond that colours repeat. */
function colourScale(labels: string[]) {
  return { domain: labels, scheme: labels.length <= 10 ? 'tableau10' : 'category20' };
}

/** Timestep axis: log2 from 1 to T with ticks 1, 2, 4, ..., T (linear when T < 4). */
function stepAxis(T: number, title: string) {
  const ticks: number[] = [];
  for (let t = 1; t < T; t *= 2) ticks.push(t);
  ticks.push(T);
  return {
    title,
    scale: T < 4 ? { type: 'linear' as const, domain: [1, Math.max(T, 2)] } : { type: 'log' as const, base: 2, domain: [1, T] },
    axis: { values: ticks, format: 'd', grid: true },
  };
}

export function accuracyChart(lines: AccuracyLine[], refs: ReferenceLevel[], title: { text: string; subtitle?: string | string[] }): ChartSpec {
  const T = Math.max(1, ...lines.map((l) => l.accuracyByStep.length));
  const rows = lines.flatMap((l) => l.accuracyByStep.map((accuracy, i) => ({ configuration: l.label, t: i + 1, accuracy })));
  const labels = lines.map((l) => l.label);
  return {
    width: WIDTH,
    height: HEIGHT,
    title: chartTitle(title),
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2, clip: true },
        encoding: {
          x: { field: 't', type: 'quantitative', ...stepAxis(T, 'timesteps t (output accumulated over steps 1..t)') },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '.1%' }, scale: { zero: false } },
          color: {
            field: 'configuration',
            type: 'nominal',
            scale: colourScale(labels),
            legend: lines.length > 1 ? { title: 'configuration', labelLimit: 0 } : null,
          },
        },
      },
      {
        data: { values: refs },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#333', strokeWidth: 1.5 },
        encoding: { y: { field: 'accuracy', type: 'quantitative' } },
      },
      {
        data: { values: refs },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -3, color: '#333' },
        encoding: { x: { datum: T }, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  } as ChartSpec;
}

const FRONT = 'on the Pareto front';
const DOMINATED = 'dominated';
const MISSED = 'target not reached by T (drawn at T)';

/**
 * Latency against precision: x the timesteps a configuration needs to reach the target, y its
 * accuracy at T; the Pareto front (no other configuration is both faster and more accurate)
 * is joined by a dashed staircase. Configurations that never reach the target sit at x = T
 * with their own marker.
 */
export function paretoChart(points: ParetoPoint[], T: number, title: { text: string; subtitle?: string | string[] }): ChartSpec {
  const rows = points.map((p) => ({ ...p, x: p.steps ?? T, kind: p.steps === null ? MISSED : p.optimal ? FRONT : DOMINATED }));
  const front = rows.filter((p) => p.kind === FRONT).sort((a, b) => a.x - b.x || b.accuracy - a.accuracy);
  const x = { field: 'x', type: 'quantitative' as const, ...stepAxis(T, 'timesteps needed to reach the target accuracy') };
  const y = { field: 'accuracy', type: 'quantitative' as const, title: `accuracy at T = ${T}`, axis: { format: '.1%' }, scale: { zero: false, padding: 12 } };
  return {
    width: WIDTH,
    height: HEIGHT,
    title: chartTitle(title),
    layer: [
      {
        data: { values: front },
        mark: { type: 'line', interpolate: 'step-after', color: '#888', strokeDash: [4, 3] },
        encoding: { x, y, order: { field: 'x', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 110, opacity: 0.9 },
        encoding: {
          x,
          y,
          color: { field: 'label', type: 'nominal', title: 'configuration', scale: colourScale(points.map((p) => p.label)), legend: { labelLimit: 0 } },
          shape: { field: 'kind', type: 'nominal', title: null, scale: { domain: [FRONT, DOMINATED, MISSED], range: ['circle', 'cross', 'triangle-right'] }, legend: { labelLimit: 0 } },
        },
      },
    ],
  } as ChartSpec;
}

/** Horizontal bars, one per layer in graph order. */
export function layerBarChart(rows: { layer: string; value: number }[], axisTitle: string, format: string, title: string): ChartSpec {
  return {
    width: WIDTH - 160,
    height: { step: 22 },
    title: { text: title, anchor: 'start' },
    data: { values: rows },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      y: { field: 'layer', type: 'nominal', sort: null, title: 'layer' },
      x: { field: 'value', type: 'quantitative', title: axisTitle, axis: { format } },
    },
  } as ChartSpec;
}

/** eval --plot: the SNN's accuracy at every step, with the ANN's as a dashed line. */
export function evalAccuracySpec(r: EvalReport): ChartSpec {
  return accuracyChart([{ label: 'SNN', accuracyByStep: r.snn.accuracyByStep }], [{ label: `ANN ${pct(r.ann.accuracy)}`, accuracy: r.ann.accuracy }], {
    text: `SNN accuracy vs timesteps, T = ${r.snn.timesteps}`,
    subtitle: `${path.basename(r.model)} on ${datasetName(r.dataset)} (${r.samples} samples)`,
  });
}

/** A dataset spec made short for a subtitle: IDX files by the images file's name. */
function datasetName(spec: string): string {
  return spec.startsWith('idx:') ? `idx:${path.basename(spec.slice(4).split(',')[0]!)}` : spec;
}

function sweepSubtitle(s: SweepFile): string {
  return `${path.basename(s.model)} on ${datasetName(s.dataset)} (${s.samples} samples)${s.shard ? `, shard ${s.shard.index}/${s.shard.count}` : ''}`;
}

/** Sweep: one line per configuration, a dashed line per distinct ANN accuracy. */
export function sweepAccuracySpec(s: SweepFile): ChartSpec {
  const annLevels = [...new Set(s.results.map((r) => r.ann.accuracy))];
  return accuracyChart(
    s.results.map((r) => ({ label: r.label, accuracyByStep: r.snn.accuracyByStep })),
    annLevels.map((a) => ({ label: `ANN ${pct(a)}`, accuracy: a })),
    { text: `SNN accuracy vs timesteps, T = ${s.timesteps}, ${s.results.length} configurations`, subtitle: sweepSubtitle(s) },
  );
}

/** Sweep: timesteps to reach the target against accuracy at T, per configuration. */
export function sweepParetoSpec(s: SweepFile): ChartSpec {
  const reached = s.results.filter((r) => r.target.steps !== null);
  const optimal = paretoOptimal(reached.map((r) => ({ steps: r.target.steps!, accuracy: r.snn.finalAccuracy })));
  const isOptimal = new Map(reached.map((r, i) => [r.id, optimal[i]!]));
  const target = s.target === null ? '1 pp below the ANN' : pct(s.target);
  return paretoChart(
    s.results.map((r) => ({ label: r.label, steps: r.target.steps, accuracy: r.snn.finalAccuracy, optimal: isOptimal.get(r.id) ?? false })),
    s.timesteps,
    { text: `Latency vs accuracy: timesteps to reach ${target}`, subtitle: sweepSubtitle(s) },
  );
}
