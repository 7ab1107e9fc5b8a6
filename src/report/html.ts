/**
 * eval --report: one self-contained HTML file (no scripts, no external resources) with the
 * summary, the charts as inline SVG, and the per-layer table.
 *
 * The layer table renders every numeric field of the layer records (numbers, lists of numbers,
 * and objects of numbers one level deep as `field.key`): fields added to LayerResult later
 * (synaptic operations, energy, ...) appear as columns without a change here. LAYER_COLUMNS
 * only gives known fields a title and a number format.
 */
import path from 'node:path';
import { meanFiringRate } from '../eval/metrics.js';
import { evalAccuracySpec, layerBarChart } from './charts.js';
import { reportedSteps, type EvalReport } from '../eval/report-record.js';
import { renderSvg } from './svg.js';
import { compact, pct, ppDelta } from '../util/format.js';

interface Column {
  title: string;
  format: (x: number) => string;
}

/** Titles and formats of known per-layer fields; other numeric fields use defaultColumn(). */
export const LAYER_COLUMNS: Record<string, Column> = {
  neurons: { title: 'neurons', format: (x) => String(x) },
  firingRate: { title: 'firing rate (spikes / neuron / step)', format: (x) => x.toFixed(4) },
  saturatedFraction: { title: 'saturated (at r_max)', format: (x) => pct(x) },
  clippedFraction: { title: 'clipped in calibration', format: (x) => pct(x, 3) },
  rateError: { title: 'rate error vs ANN (mean |r - r*| / mean r*)', format: (x) => pct(x, 1) },
  rateBias: { title: 'rate bias vs ANN (mean (r - r*) / mean r*)', format: (x) => pct(x, 1) },
  rateErrorSamples: { title: 'images compared with the ANN', format: (x) => String(x) },
  lambda: { title: 'λ (activation scale)', format: (x) => x.toPrecision(4) },
  synOpsPerImage: { title: 'synaptic ops / image (input weights)', format: (x) => compact(x) },
  annMacsPerImage: { title: 'ANN MACs / image (input weights)', format: (x) => compact(x) },
  snnMacsPerImage: { title: 'SNN MACs / image (static input)', format: (x) => compact(x) },
};

function defaultColumn(key: string): Column {
  const title = key.replace(/\./g, ' / ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return { title, format: (x) => (Number.isInteger(x) ? String(x) : x.toPrecision(4)) };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Cell = number | number[] | null;

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** The numeric fields of a record: numbers, number lists, and numeric fields of nested objects as `a.b`. */
function numericFields(record: object): [string, Cell][] {
  return Object.entries(record).flatMap(([key, value]): [string, Cell][] => {
    if (typeof value === 'number' || value === null || isNumbers(value)) return [[key, value as Cell]];
    if (typeof value === 'object' && !Array.isArray(value)) {
      return Object.entries(value as object)
        .filter(([, v]) => typeof v === 'number' || isNumbers(v))
        .map(([k, v]) => [`${key}.${k}`, v as Cell]);
    }
    return [];
  });
}

function formatCell(cell: Cell | undefined, column: Column): string {
  if (cell === undefined || cell === null) return '';
  if (typeof cell === 'number') return column.format(cell);
  if (cell.length === 1) return column.format(cell[0]!);
  if (cell.length === 0) return '';
  return `${column.format(Math.min(...cell))} … ${column.format(Math.max(...cell))} (${cell.length})`;
}

export function layerTable(layers: readonly ({ name: string } & object)[]): string {
  const rows = layers.map((l) => new Map(numericFields(l)));
  const keys: string[] = [];
  for (const row of rows) for (const k of row.keys()) if (!keys.includes(k)) keys.push(k);
  const columns = keys.map((k) => LAYER_COLUMNS[k] ?? defaultColumn(k));
  const head = `<tr><th>layer</th>${columns.map((c) => `<th>${esc(c.title)}</th>`).join('')}</tr>`;
  const body = layers
    .map((l, i) => `<tr><td>${esc(l.name)}</td>${keys.map((k, j) => `<td class="num">${esc(formatCell(rows[i]!.get(k), columns[j]!))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="grid"><thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function keyValueTable(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}</table>`;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1150px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; text-align: left; }
table.grid th { border-bottom: 2px solid #bbb; vertical-align: bottom; }
table.grid td { border-bottom: 1px solid #eee; }
table.kv th { font-weight: 600; color: #444; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { flex: none; max-width: 100%; overflow-x: auto; }
.flex { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
footer { margin-top: 3rem; color: #777; font-size: 0.8rem; }
`;

const TIMING_NAMES: Record<string, string> = { calibrationSeconds: 'calibration', annSeconds: 'ANN', snnSeconds: 'SNN', totalSeconds: 'total' };

const settingText = (v: unknown): string =>
  typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x !== 'object') ? v.join(', ') : JSON.stringify(v);

const latency = (t: number | null, T: number) => (t === null ? `not within T = ${T}` : `t = ${t}`);

export async function renderEvalHtml(r: EvalReport): Promise<string> {
  const ann = r.ann.accuracy;
  const accuracySvg = await renderSvg(evalAccuracySpec(r), 'accuracy');
  const rateSvg =
    r.layers.length === 0
      ? ''
      : await renderSvg(
          layerBarChart(r.layers.map((l) => ({ layer: l.name, value: l.firingRate })), 'spikes per neuron per step', '.3f', 'Mean firing rate per spiking layer'),
          'rates',
        );
  const summary = keyValueTable([
    ['ANN accuracy', pct(ann)],
    [`SNN accuracy at T = ${r.snn.timesteps}`, `${pct(r.snn.finalAccuracy)} (${ppDelta(r.snn.finalAccuracy, ann)})`],
    ['within 1 pp of the ANN from', latency(r.snn.latency.within1pp, r.snn.timesteps)],
    ['within 0.1 pp of the ANN from', latency(r.snn.latency.within0_1pp, r.snn.timesteps)],
    ['mean firing rate (all spiking neurons)', `${meanFiringRate(r.layers).toFixed(4)} spikes / neuron / step`],
    ['synaptic operations per image', `${compact(r.energy.synOpsPerImage)} (plus ${compact(r.energy.snnMacsPerImage)} MACs on the static input; ANN: ${compact(r.energy.annMacsPerImage)} MACs)`],
    ['energy per image (estimate)', `SNN ${r.energy.snnEnergyNj.toFixed(1)} nJ, ANN ${r.energy.annEnergyNj.toFixed(1)} nJ (${r.energy.note})`],
  ]);
  const settings = keyValueTable([
    ...Object.entries(r.conversion).map(([k, v]): [string, string] => [k, settingText(v)]),
    ...Object.entries(r.runtime).map(([k, v]): [string, string] => [`run ${k}`, settingText(v)]),
    ...Object.entries(r.preprocess).map(([k, v]): [string, string] => [`input ${k}`, settingText(v)]),
  ]);
  const steps = `<table class="grid"><thead><tr><th>t</th><th>accuracy</th><th>vs ANN</th></tr></thead><tbody>${reportedSteps(r.snn.timesteps)
    .map((t) => {
      const a = r.snn.accuracyByStep[t - 1]!;
      return `<tr><td class="num">${t}</td><td class="num">${pct(a)}</td><td class="num">${ppDelta(a, ann)}</td></tr>`;
    })
    .join('')}</tbody></table>`;
  const timing = r.timing
    ? `<h2>Wall time</h2>${keyValueTable(Object.entries(r.timing).map(([k, v]) => [TIMING_NAMES[k] ?? k, `${v.toFixed(2)} s`]))}`
    : '';
  const title = `snnc eval: ${path.basename(r.model)}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">model ${esc(r.model)}<br>data ${esc(r.dataset)}, ${r.samples} samples; T = ${r.snn.timesteps} timesteps</p>
<h2>Summary</h2>
${summary}
<h2>Accuracy vs timesteps</h2>
<p>The prediction at step t is the argmax of the output accumulated over steps 1..t; the dashed line is the ANN.</p>
<div class="flex"><div class="chart">${accuracySvg}</div>${steps}</div>
<h2>Layers</h2>
<div class="chart">${rateSvg}</div>
${layerTable(r.layers)}
<h2>Conversion</h2>
${settings}
${timing}
<footer>snnc eval report</footer>
</body>
</html>
`;
}
