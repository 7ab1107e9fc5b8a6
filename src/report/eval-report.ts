/**
 * The eval report as text: the settings, accuracy against t, latency, per-layer activity and
 * the energy estimate. The record itself is built in eval/report-record.ts.
 */
import { oneLine } from '../errors.js';
import { VINIT_SEARCH_FIRST_STEP, VINIT_SEARCH_SAMPLES, type ConversionSettings } from '../model/conversion-settings.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { reportedSteps, type EvalReport } from '../eval/report-record.js';
import type { LayerResult } from '../eval/evaluate.js';
import { compact, pct, ppDelta } from '../util/format.js';
import { renderTable } from './table.js';

function latencyLine(r: EvalReport, key: 'within1pp' | 'within0_1pp', label: string): string {
  const t = r.snn.latency[key];
  return t === null ? `not within ${label} of the ANN by t = ${r.snn.timesteps}` : `within ${label} of the ANN from t = ${t}`;
}

/** Synaptic operations, plus the MACs of a layer run once on a static input. */
function opsText(synOps: number, snnMacs: number): string {
  return snnMacs > 0 ? `${compact(synOps)} + ${compact(snnMacs)} MAC` : compact(synOps);
}

function energyLine(e: EvalReport['energy']): string {
  const ratio = e.annEnergyNj > 0 ? ` (${(e.snnEnergyNj / e.annEnergyNj).toFixed(2)} x ANN)` : '';
  return `SNN ${e.snnEnergyNj.toFixed(1)} nJ/image vs ANN ${e.annEnergyNj.toFixed(1)} nJ/image${ratio}; ${e.note}`;
}

/** What --v-init auto measured: each candidate's mean calibration accuracy over steps 2..T. */
function vInitSearchText(c: ConversionSettings): string {
  if (!c.vInitSearch) return '';
  const steps = `${Math.min(VINIT_SEARCH_FIRST_STEP, c.calibTimesteps)}..${c.calibTimesteps}`;
  const images = Math.min(c.calibSamples, VINIT_SEARCH_SAMPLES);
  return `: ${c.vInitSearch.map((s) => `${s.vInit} ${(100 * s.accuracy).toFixed(1)}%`).join(', ')}, mean accuracy over t = ${steps} on ${images} calibration images`;
}

/** One line each for the neurons, the normalisation and the run. */
export function describeSettings(c: ConversionSettings, rt: RuntimeSettings): string[] {
  const neuron = [
    c.neuron === 'lif' ? `LIF (tau_m ${c.tauSteps} steps)` : 'IF',
    `reset by ${c.reset === 'subtract' ? 'subtraction' : 'zero'}`,
    `t_ref ${c.tRefSteps} steps${c.predistort ? ' (currents pre-distorted)' : ''}`,
    ...(c.signedSpikes ? ['signed spikes'] : []),
    (c.vInitRandom ? 'v(0) uniform in [0, threshold)' : `v(0) = ${c.vInitFraction} threshold`) + (c.vInitAuto ? ` (auto${vInitSearchText(c)})` : ''),
  ];
  const normalisation = c.calibSamples === 0 ? [`as stored (${oneLine(c.calibData)})`] : [
    ...(c.target === 'nir' ? ['--target nir'] : []),
    `${c.channelwise ? 'channel' : 'layer'}-wise ${c.percentileFit ? `λ fitted for T=${c.fitTimesteps ?? c.calibTimesteps}` : `p${c.percentile}`}${c.percentileAuto && !c.percentileFit ? ` (auto, at T=${c.calibTimesteps})` : ''} on ${c.calibSamples} images of ${oneLine(c.calibData)}`,
    ...(c.calibrate !== 'none' ? [`${c.calibrate} calibration at T=${c.calibTimesteps}${(c.calibGroup ?? 1) > 1 ? `, ${c.calibGroup} layers per simulation` : ''}`] : []),
    ...(c.deepDefaults ? [`deep network: ${c.deepDefaults.join(', ')} at the deep-network defaults`] : []),
    ...(c.maxpool === 'avg' ? ['max pooling replaced by average pooling'] : []),
  ];
  const run = [
    `${rt.encoding} input`,
    `${c.readout} readout`,
    ...(rt.noisePerStep > 0 ? [`membrane noise ${rt.noisePerStep}/step`] : []),
    ...(rt.adaptation ? [`adaptation b ${rt.adaptation.b}, tau_a ${rt.adaptation.tauSteps} steps`] : []),
    `seed ${rt.seed}`,
  ];
  return [`neurons  ${neuron.join(', ')}`, `scaling  ${normalisation.join('; ')}`, `run      ${run.join(', ')}`];
}

export function renderEvalReport(r: EvalReport): string {
  const ann = r.ann.accuracy;
  const lines = [
    `model    ${oneLine(r.model)}`,
    `dataset  ${oneLine(r.dataset)} (${r.samples} samples)`,
    ...describeSettings(r.conversion, r.runtime),
    '',
    `ANN accuracy  ${pct(ann)}`,
    'SNN accuracy (output accumulated over steps 1..t)',
    renderTable(
      ['t', 'accuracy', 'vs ANN'],
      reportedSteps(r.snn.timesteps).map((t) => {
        const a = r.snn.accuracyByStep[t - 1]!;
        return [String(t), pct(a), ppDelta(a, ann)];
      }),
    ),
    `latency  ${latencyLine(r, 'within1pp', '1 pp')}; ${latencyLine(r, 'within0_1pp', '0.1 pp')}`,
    '',
    `layers${layerErrorNote(r.layers)}`,
    renderTable(
      ['name', 'neurons', 'firing rate', 'saturated', 'clipped (calib)', 'rate error', 'rate bias', 'synops/image', 'ANN MACs/image'],
      [
        ...r.layers.map((l) => [
          l.name,
          String(l.neurons),
          `${l.firingRate.toFixed(4)} /step`,
          pct(l.saturatedFraction),
          pct(l.clippedFraction, 3),
          l.rateError === undefined ? '' : pct(l.rateError, 1),
          l.rateBias === undefined ? '' : signedPct(l.rateBias),
          opsText(l.synOpsPerImage, l.snnMacsPerImage),
          compact(l.annMacsPerImage),
        ]),
        ['(readout)', '', '', '', '', '', '', opsText(r.readout.synOpsPerImage, r.readout.snnMacsPerImage), compact(r.readout.annMacsPerImage)],
      ],
    ),
    `energy   ${energyLine(r.energy)}`,
  ];
  if (r.timing) {
    const t = r.timing;
    lines.push(
      '',
      `wall time  ${t.totalSeconds.toFixed(1)} s (calibration ${t.calibrationSeconds.toFixed(1)} s, ANN ${t.annSeconds.toFixed(1)} s, SNN ${t.snnSeconds.toFixed(1)} s)`,
    );
  }
  return lines.join('\n');
}

/** A rate as a signed percentage (+1.2%, -3.4%). */
function signedPct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
}

function layerErrorNote(layers: readonly LayerResult[]): string {
  const n = layers.find((l) => l.rateErrorSamples !== undefined)?.rateErrorSamples;
  return n === undefined ? '' : ` (rate error and bias: spike rates against the ANN's on the first ${n} images, relative to the mean ANN rate)`;
}
