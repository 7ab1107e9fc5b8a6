/**
 * Neuron lab results: plain records (printed as JSON with --json; report/neuron-report.ts
 * renders them as text). Every number carries its unit.
 */
import type { FiPoint } from '../snn/fi-curve.js';
import type { GainPoint } from '../snn/membrane-trace.js';
import { rheobaseNa, tauMs, type LabModel, type PhysicalNeuron } from '../snn/physical.js';
import type { Stimulus } from '../snn/stimulus.js';

/** The neuron's parameters as --json prints them: PhysicalNeuron's units, flattened. */
export interface NeuronParamsRecord extends Pick<PhysicalNeuron, 'cNf' | 'gLNs' | 'eLMv' | 'vThMv' | 'vResetMv' | 'tRefMs' | 'dtMs' | 'timing'> {
  /** C / g_L; null for pif (no leak). */
  tauMs: number | null;
  noiseMvPerSqrtMs: number;
  seed: number;
  gANs?: number;
  b?: number;
  tauAMs?: number;
  eKMv?: number;
}

export interface FiReport {
  neuron: LabModel;
  params: NeuronParamsRecord & { durationMs: number; settleMs: number };
  rheobaseNa: number;
  /** 1 / t_ref; null without a refractory period. */
  maxRateHz: number | null;
  points: { currentNa: number; rateHz: number; analyticRateHz: number }[];
}

export interface TraceReport {
  neuron: LabModel;
  params: NeuronParamsRecord & { durationMs: number };
  current: Stimulus;
  rheobaseNa: number;
  spikeTimesMs: number[];
  vMinMv: number;
  vMaxMv: number;
  /** Low-pass gain of the passive membrane, for a sine current on a leaky neuron. */
  gain?: GainPoint[];
}

export function paramsRecord(n: PhysicalNeuron, seed: number): NeuronParamsRecord {
  const record: NeuronParamsRecord = {
    cNf: n.cNf,
    gLNs: n.gLNs,
    eLMv: n.eLMv,
    vThMv: n.vThMv,
    vResetMv: n.vResetMv,
    tRefMs: n.tRefMs,
    tauMs: n.gLNs > 0 ? tauMs(n) : null,
    dtMs: n.dtMs,
    timing: n.timing,
    noiseMvPerSqrtMs: n.sigmaMvPerSqrtMs,
    seed,
  };
  const a = n.adaptation;
  return a === undefined ? record : { ...record, gANs: a.gANs, b: a.b, tauAMs: a.tauAMs, eKMv: a.eKMv };
}

export function buildFiReport(n: PhysicalNeuron, points: FiPoint[], run: { durationMs: number; settleMs: number; seed: number }): FiReport {
  return {
    neuron: n.model,
    params: { ...paramsRecord(n, run.seed), durationMs: run.durationMs, settleMs: run.settleMs },
    rheobaseNa: rheobaseNa(n),
    maxRateHz: n.tRefMs > 0 ? 1000 / n.tRefMs : null,
    points: points.map(({ currentNa, rateHz, analyticRateHz }) => ({ currentNa, rateHz, analyticRateHz })),
  };
}
