/** Vega-Lite specs of the neuron lab's charts (rendered to SVG by svg.ts). */
import type { Trace } from '../snn/membrane-trace.js';
import type { FiReport, TraceReport } from '../eval/neuron-record.js';
import type { ChartSpec } from './svg.js';

const WIDTH = 560;

/** Six significant digits: 0.22, not 0.22000000000000003. */
const fmt = (x: number): number => Number(x.toPrecision(6));

/** f-I curve: analytic line, simulated points, the rheobase and the 1/t_ref ceiling as dashed rules. */
export function fiChart(r: FiReport): ChartSpec {
  const rows = r.points.flatMap((p) => [
    { currentNa: p.currentNa, rateHz: p.rateHz, series: 'simulated' },
    { currentNa: p.currentNa, rateHz: p.analyticRateHz, series: 'analytic' },
  ]);
  const x = { field: 'currentNa', type: 'quantitative', title: 'input current I (nA)' } as const;
  const y = { field: 'rateHz', type: 'quantitative', title: 'firing rate (Hz)' } as const;
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: ['analytic', 'simulated'] } } as const;
  const layers: NonNullable<Extract<ChartSpec, { layer: unknown }>['layer']> = [
    { transform: [{ filter: "datum.series === 'analytic'" }], mark: { type: 'line' }, encoding: { x, y, color } },
    { transform: [{ filter: "datum.series === 'simulated'" }], mark: { type: 'point', filled: true, size: 30 }, encoding: { x, y, color } },
  ];
  if (r.neuron !== 'pif') {
    layers.push({
      data: { values: [{ currentNa: r.rheobaseNa }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
      encoding: { x: { field: 'currentNa', type: 'quantitative' } },
    });
  }
  // The ceiling is drawn when the curve gets near it; otherwise it would flatten the curve.
  const topHz = Math.max(...r.points.map((p) => Math.max(p.rateHz, p.analyticRateHz)));
  const showCeiling = r.maxRateHz !== null && topHz >= 0.25 * r.maxRateHz;
  if (showCeiling && r.maxRateHz !== null) {
    layers.push({
      data: { values: [{ rateHz: r.maxRateHz }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
      encoding: { y: { field: 'rateHz', type: 'quantitative' } },
    });
  }
  const tau = r.params.tauMs === null ? 'no leak' : `tau_m = ${fmt(r.params.tauMs)} ms`;
  const ceiling = r.maxRateHz === null ? '' : `, 1 / t_ref = ${fmt(r.maxRateHz)} Hz`;
  const dashed = [...(r.neuron === 'pif' ? [] : ['rheobase']), ...(showCeiling ? ['1 / t_ref'] : [])];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `f-I curve, ${r.neuron} neuron`, subtitle: `${tau}, t_ref = ${r.params.tRefMs} ms${ceiling}, rheobase ${fmt(r.rheobaseNa)} nA${dashed.length > 0 ? `; dashed: ${dashed.join(', ')}` : ''}` },
    width: WIDTH,
    height: 320,
    data: { values: rows },
    layer: layers,
  };
}

/** Samples kept for the plot: about `budget` evenly spaced, plus the boundaries around every spike. */
function sampleIndices(trace: Trace, budget: number): number[] {
  const n = trace.tMs.length;
  const stride = Math.max(1, Math.ceil(n / budget));
  const keep = new Set<number>();
  for (let k = 0; k < n; k += stride) keep.add(k);
  keep.add(n - 1);
  const dt = trace.tMs[1]! - trace.tMs[0]!;
  for (const t of trace.spikeTimesMs) {
    const s = Math.min(n - 2, Math.max(0, Math.ceil(t / dt - 1e-9) - 1));
    keep.add(s);
    keep.add(s + 1);
  }
  return [...keep].sort((a, b) => a - b);
}

/**
 * Membrane potential over time (spikes drawn as vertical strokes above the threshold, the
 * membrane going through V_th and dropping to the reset at each spike time) over the input
 * current.
 */
export function traceChart(r: TraceReport, trace: Trace): ChartSpec {
  const vTh = r.params.vThMv;
  const dt = r.params.dtMs;
  const rows: { order: number; tMs: number; vMv: number }[] = [];
  const spikes = [...new Set(r.spikeTimesMs)];
  let next = 0;
  for (const k of sampleIndices(trace, 4000)) {
    // Spikes inside the step ending at sample k: up to V_th, down to the reset, at the spike time.
    while (next < spikes.length && spikes[next]! <= trace.tMs[k]! + 1e-9 * dt) {
      const t = spikes[next++]!;
      rows.push({ order: rows.length, tMs: t, vMv: vTh }, { order: rows.length + 1, tMs: t, vMv: r.params.vResetMv });
    }
    rows.push({ order: rows.length, tMs: trace.tMs[k]!, vMv: trace.vMv[k]! });
  }
  const current = sampleIndices(trace, 4000).map((k) => ({ tMs: trace.tMs[k]!, iNa: trace.iNa[k]! }));
  const x = { field: 'tMs', type: 'quantitative', title: 'time (ms)' } as const;
  const spikeTop = vTh + 20;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `membrane trace, ${r.neuron} neuron`, subtitle: `${r.spikeTimesMs.length} spikes; dashed: V_th = ${vTh} mV` },
    vconcat: [
      {
        width: WIDTH,
        height: 260,
        layer: [
          {
            data: { values: rows },
            mark: { type: 'line', strokeWidth: 1 },
            encoding: { x, y: { field: 'vMv', type: 'quantitative', title: 'membrane potential V (mV)', scale: { zero: false } }, order: { field: 'order' } },
          },
          { data: { values: [{ vMv: vTh }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { field: 'vMv', type: 'quantitative' } } },
          {
            data: { values: spikes.map((t) => ({ tMs: t, from: vTh, to: spikeTop })) },
            mark: { type: 'rule', strokeWidth: 1 },
            encoding: { x, y: { field: 'from', type: 'quantitative' }, y2: { field: 'to' } },
          },
        ],
      },
      {
        width: WIDTH,
        height: 100,
        data: { values: current },
        mark: { type: 'line', interpolate: 'step-after', color: 'darkorange' },
        encoding: { x, y: { field: 'iNa', type: 'quantitative', title: 'input current I (nA)' } },
      },
    ],
  };
}
