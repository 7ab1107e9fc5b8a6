/**
 * Neuron lab reports as text: the records of eval/neuron-record.ts, every number with its unit.
 */
import type { FiReport, NeuronParamsRecord, TraceReport } from '../eval/neuron-record.js';
import type { LabModel } from '../snn/physical.js';
import { describeStimulus } from '../snn/stimulus.js';
import { renderTable } from './table.js';

const num = (x: number, digits = 3): string => String(Number(x.toPrecision(digits + 3)));

/** One line per aspect: the neuron's parameters, derived constants, and how it is simulated. */
export function describeNeuron(p: NeuronParamsRecord & { durationMs: number }, model: LabModel): string[] {
  const leak = p.tauMs === null ? 'g_L = 0 nS' : `g_L = ${num(p.gLNs)} nS`;
  const lines = [
    `${model} neuron: C = ${num(p.cNf)} nF, ${leak}, E_L = ${num(p.eLMv)} mV, V_th = ${num(p.vThMv)} mV, V_reset = ${num(p.vResetMv)} mV, t_ref = ${num(p.tRefMs)} ms`,
  ];
  if (p.tauMs !== null) lines.push(`  tau_m = C / g_L = ${num(p.tauMs)} ms, R = 1 / g_L = ${num(1000 / p.gLNs)} MOhm`);
  if (p.gANs !== undefined) lines.push(`  adaptation: g_a = ${num(p.gANs)} nS, b = ${num(p.b!)} per spike, tau_a = ${num(p.tauAMs!)} ms, E_K = ${num(p.eKMv!)} mV`);
  const noise = p.noiseMvPerSqrtMs > 0 ? `, noise sigma = ${num(p.noiseMvPerSqrtMs)} mV/sqrt(ms) (seed ${p.seed})` : ', no noise';
  const timing = p.timing === 'exact' ? 'spikes at the exact threshold crossing' : 'spikes at the end of a step';
  lines.push(`  dt = ${num(p.dtMs)} ms (${timing})${noise}, ${num(p.durationMs)} ms simulated`);
  return lines;
}

/** Signed percentage; a value that rounds to zero prints without a sign. */
function percent(x: number, digits: number): string {
  const text = (100 * x).toFixed(digits);
  return `${Number(text) === 0 ? (0).toFixed(digits) : Number(text) > 0 ? `+${text}` : text}%`;
}

function difference(simulated: number, analytic: number): string {
  if (analytic > 0) return percent((simulated - analytic) / analytic, 2);
  return simulated === 0 ? '0' : `+${simulated.toFixed(2)} Hz`;
}

export function renderFiReport(r: FiReport): string {
  const lines = [`f-I curve, ${describeNeuron(r.params, r.neuron).join('\n')}`];
  const ceiling = r.maxRateHz === null ? 'no ceiling (t_ref = 0 ms)' : `ceiling 1 / t_ref = ${num(r.maxRateHz)} Hz`;
  const rheobase = r.neuron === 'pif' ? 'rheobase 0 nA (no leak: any I > 0 fires)' : `rheobase I_rheo = g_L (V_th - E_L) = ${num(r.rheobaseNa)} nA`;
  lines.push(`${rheobase}; ${ceiling}`);
  if (r.neuron === 'alif') lines.push(`simulated: steady state after ${num(r.params.settleMs)} ms of adaptation; analytic: the LIF rate without adaptation (an upper bound)`);
  if (r.params.noiseMvPerSqrtMs > 0) lines.push('analytic: the noiseless rate');
  const rows = r.points.map((p) => [num(p.currentNa, 4), p.rateHz.toFixed(2), p.analyticRateHz.toFixed(2), difference(p.rateHz, p.analyticRateHz)]);
  lines.push(renderTable(['I (nA)', 'simulated (Hz)', 'analytic (Hz)', 'difference'], rows));
  return lines.join('\n');
}

export function renderTraceReport(r: TraceReport): string {
  const lines = [`membrane trace, ${describeNeuron(r.params, r.neuron).join('\n')}`, `current: ${describeStimulus(r.current)}`];
  const spikes = r.spikeTimesMs;
  if (spikes.length === 0) {
    lines.push(`spikes: none (rheobase ${num(r.rheobaseNa)} nA)`);
  } else {
    const rate = (1000 * spikes.length) / r.params.durationMs;
    lines.push(`spikes: ${spikes.length} (${rate.toFixed(2)} Hz over the run), first at ${spikes[0]!.toFixed(3)} ms, last at ${spikes.at(-1)!.toFixed(3)} ms`);
    const isis = spikes.slice(1, 11).map((t, k) => (t - spikes[k]!).toFixed(3));
    if (isis.length > 0) lines.push(`inter-spike intervals (ms): ${isis.join(', ')}${spikes.length > 11 ? ', ...' : ''}`);
  }
  lines.push(`V: min ${r.vMinMv.toFixed(3)} mV, max ${r.vMaxMv.toFixed(3)} mV`);
  if (r.gain !== undefined) {
    lines.push('low-pass gain of the passive membrane, (amplitude of V - E_L) / (R I_amp):');
    const rows = r.gain.map((g) => [num(g.freqHz), g.gain.toFixed(5), g.rcGain.toFixed(5), percent((g.gain - g.rcGain) / g.rcGain, 3)]);
    lines.push(renderTable(['f (Hz)', 'simulated', 'RC: 1/sqrt(1 + (2 pi f tau_m)^2)', 'difference'], rows));
  }
  return lines.join('\n');
}
