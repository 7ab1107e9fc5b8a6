/**
 * snnc neuron fi | trace: the neuron lab. The integrate-and-fire neuron of the converted SNN
 * in physical units (nF, nS, mV, ms, nA): its f-I curve beside the analytic rate, and
 * membrane traces under constant, pulse and sine currents.
 */
import { Command } from 'commander';
import { UserError } from '../errors.js';
import { buildFiReport, paramsRecord, type TraceReport } from '../eval/neuron-record.js';
import { renderFiReport, renderTraceReport } from '../report/neuron-report.js';
import { fiChart, traceChart } from '../report/neuron-charts.js';
import { renderSvg, type ChartSpec } from '../report/svg.js';
import { currentCount, currentGrid, MAX_CURRENTS, settleMs, simulateFi } from '../snn/fi-curve.js';
import { GAIN_FREQUENCIES_HZ, passiveGain, simulateTrace } from '../snn/membrane-trace.js';
import { DEFAULT_NEURON, checkNeuron, maxSpikesPerStep, rheobaseNa, type LabModel, type PhysicalNeuron } from '../snn/physical.js';
import { parseStimulus, peakCurrentNa } from '../snn/stimulus.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { addJsonOption, emitResult, jsonOutputs } from './json-output.js';
import { checkOutputs } from './outputs.js';
import { parseChoice, parseNumber, type RawOptions } from './options.js';

const D = DEFAULT_NEURON;
const ADAPTATION_FLAGS = { gA: '--g-a', b: '--b', tauA: '--tau-a', eK: '--e-k' } as const;
/** Bound on simulated steps per neuron (duration / dt). */
const MAX_STEPS = 50_000_000;
/** Bound on simulated spikes (each is an iteration of the exact-timing loop; a trace lists them all). */
const MAX_SPIKES = 100_000_000;

function addNeuronOptions(cmd: Command, what: string): Command {
  cmd
    .option('--neuron <model>', 'pif (perfect integrator, g_L = 0), lif (leaky), alif (leaky with adaptation)', 'lif')
    .option('--c <nF>', 'membrane capacitance C (nF)', String(D.cNf))
    .option('--g-l <nS>', `leak conductance g_L (nS; lif, alif); tau_m = C / g_L (default ${D.gLNs}, 0 for pif)`)
    .option('--e-l <mV>', 'leak reversal (resting) potential E_L (mV)', String(D.eLMv))
    .option('--v-th <mV>', 'threshold V_th (mV)', String(D.vThMv))
    .option('--v-reset <mV>', 'reset potential V_reset (mV)', String(D.vResetMv))
    .option('--t-ref <ms>', 'absolute refractory period t_ref (ms)', String(D.tRefMs))
    .option('--dt <ms>', 'integration step (ms)', String(D.dtMs))
    .option('--timing <mode>', 'exact: spike at the threshold crossing inside the step; step: at the end of the step', D.timing)
    .option('--noise <sigma>', 'membrane noise sigma (mV/sqrt(ms)): dV += sigma dW, Euler-Maruyama', '0')
    .option('--seed <n>', 'seed of the noise', '1')
    .option('--g-a <nS>', `alif: adaptation conductance per unit of a (nS) (default ${D.adaptation.gANs})`)
    .option('--b <x>', `alif: increase of a at each spike (default ${D.adaptation.b})`)
    .option('--tau-a <ms>', `alif: adaptation time constant tau_a (ms) (default ${D.adaptation.tauAMs})`)
    .option('--e-k <mV>', `alif: reversal potential E_K of the adaptation current (mV) (default ${D.adaptation.eKMv})`)
    .option('--plot <file.svg>', 'also draw the chart as SVG');
  return addJsonOption(cmd, what);
}

function neuronFrom(o: RawOptions): { neuron: PhysicalNeuron; seed: number } {
  const model: LabModel = parseChoice('--neuron', String(o.neuron), ['pif', 'lif', 'alif'] as const);
  const num = (flag: string, key: string, fallback?: number, check?: Parameters<typeof parseNumber>[2]): number =>
    o[key] === undefined ? fallback! : parseNumber(flag, String(o[key]), check);
  if (model === 'pif' && o.gL !== undefined) throw new UserError('--g-l: the perfect integrator (--neuron pif) has no leak; use --neuron lif');
  for (const [key, flag] of Object.entries(ADAPTATION_FLAGS)) {
    if (model !== 'alif' && o[key] !== undefined) throw new UserError(`${flag}: adaptation belongs to --neuron alif (got --neuron ${model})`);
  }
  const neuron: PhysicalNeuron = {
    model,
    cNf: num('--c', 'c', D.cNf, { min: Number.MIN_VALUE }),
    gLNs: model === 'pif' ? 0 : num('--g-l', 'gL', D.gLNs, { min: Number.MIN_VALUE }),
    eLMv: num('--e-l', 'eL'),
    vThMv: num('--v-th', 'vTh'),
    vResetMv: num('--v-reset', 'vReset'),
    tRefMs: num('--t-ref', 'tRef', 0, { min: 0 }),
    dtMs: num('--dt', 'dt', 0, { min: Number.MIN_VALUE }),
    timing: parseChoice('--timing', String(o.timing), ['exact', 'step'] as const),
    sigmaMvPerSqrtMs: num('--noise', 'noise', 0, { min: 0 }),
  };
  if (neuron.vResetMv >= neuron.vThMv) throw new UserError(`--v-reset: ${neuron.vResetMv} mV is not below --v-th ${neuron.vThMv} mV`);
  if (neuron.timing === 'step' && Math.abs(neuron.tRefMs / neuron.dtMs - Math.round(neuron.tRefMs / neuron.dtMs)) > 1e-9) {
    throw new UserError(`--t-ref: ${neuron.tRefMs} ms is not a whole number of --dt ${neuron.dtMs} ms steps (needed with --timing step)`);
  }
  if (model === 'alif') {
    neuron.adaptation = {
      gANs: num('--g-a', 'gA', D.adaptation.gANs, { min: 0 }),
      b: num('--b', 'b', D.adaptation.b, { min: 0 }),
      tauAMs: num('--tau-a', 'tauA', D.adaptation.tauAMs, { min: Number.MIN_VALUE }),
      eKMv: num('--e-k', 'eK', D.adaptation.eKMv),
    };
  }
  checkNeuron(neuron);
  return { neuron, seed: num('--seed', 'seed', 0, { integer: true, min: 0, max: 2 ** 31 - 1 }) };
}

/**
 * --duration, with the work it implies bounded before anything runs: neuron-steps (duration /
 * dt x neurons) and spikes (at most maxSpikesPerStep each step under the largest current:
 * a huge current with t_ref = 0 would otherwise loop over billions of spikes in one step).
 */
function parseDuration(o: RawOptions, neuron: PhysicalNeuron, neurons: number, peakNa: number): number {
  const dtMs = neuron.dtMs;
  const durationMs = parseNumber('--duration', String(o.duration), { min: Number.MIN_VALUE });
  const steps = durationMs / dtMs;
  if (steps < 1) throw new UserError(`--duration: ${durationMs} ms is shorter than one step of --dt ${dtMs} ms`);
  if (steps * neurons > MAX_STEPS) throw new UserError(`--duration: ${durationMs} ms / --dt ${dtMs} ms x ${neurons} neurons is ${Math.round(steps * neurons)} neuron-steps, above the limit ${MAX_STEPS}`);
  const spikes = maxSpikesPerStep(neuron, peakNa) * steps * neurons;
  if (!(spikes <= MAX_SPIKES)) {
    throw new UserError(`${peakNa} nA with t_ref ${neuron.tRefMs} ms could fire up to ${spikes.toPrecision(3)} spikes in ${durationMs} ms, above the limit ${MAX_SPIKES}: lower the current or raise --t-ref`);
  }
  return durationMs;
}

function parseCurrents(value: string): number[] {
  const parts = value.split(':');
  const fail = (why: string): never => {
    throw new UserError(`--currents '${value}': ${why}; expected <from>:<to>:<step> in nA, e.g. 0:1:0.02`);
  };
  if (parts.length !== 3) fail('not three numbers');
  const [from, to, stepNa] = parts.map((p) => {
    const x = Number(p);
    if (p.trim() === '' || !Number.isFinite(x)) fail(`'${p}' is not a number`);
    return x;
  }) as [number, number, number];
  if (!(stepNa > 0)) fail(`step ${stepNa} nA, expected > 0`);
  if (to < from) fail(`to ${to} nA is below from ${from} nA`);
  // Counted before anything is allocated: 0:1e300:1 or 0:1:1e-8 would not fit in memory.
  const count = currentCount(from, to, stepNa);
  if (!(count <= MAX_CURRENTS)) fail(`${Number.isFinite(count) ? count : 'too many'} currents, at most ${MAX_CURRENTS}`);
  return currentGrid(from, to, stepNa);
}

async function writePlot(file: string, spec: ChartSpec): Promise<void> {
  writeFileAtomic(file, await renderSvg(spec));
}

function fiCommand(): Command {
  const cmd = new Command('fi')
    .description('f-I curve: simulated firing rate against the analytic one, with the rheobase and the 1/t_ref ceiling')
    .option('--currents <from:to:step>', 'input currents (nA), endpoints included', '0:1:0.02')
    .option('--duration <ms>', 'simulated time per current (ms)', '2000');
  addNeuronOptions(cmd, 'the f-I curve');
  return cmd.action(async (o: RawOptions) => {
    const { neuron, seed } = neuronFrom(o);
    const currents = parseCurrents(String(o.currents));
    const durationMs = parseDuration(o, neuron, currents.length, Math.max(...currents.map(Math.abs)));
    checkOutputs([...(o.plot !== undefined ? [{ flag: '--plot', file: String(o.plot) }] : []), ...jsonOutputs(o)], o.config === undefined ? [] : [String(o.config)]);
    const points = simulateFi(neuron, currents, { durationMs, seed });
    const report = buildFiReport(neuron, points, { durationMs, settleMs: settleMs(neuron, durationMs), seed });
    if (o.plot !== undefined) await writePlot(String(o.plot), fiChart(report));
    emitResult(o, () => renderFiReport(report), () => report);
  });
}

function traceCommand(): Command {
  const cmd = new Command('trace')
    .description('membrane trace with spikes under a constant, pulse or sine current; for a sine, the low-pass gain against the RC formula')
    .requiredOption('--current <spec>', '<nA> | pulse:amp=<nA>,start=<ms>,end=<ms>[,base=<nA>] | sine:amp=<nA>,freq=<Hz>[,offset=<nA>]')
    .option('--duration <ms>', 'simulated time (ms)', '500');
  addNeuronOptions(cmd, 'the trace summary');
  return cmd.action(async (o: RawOptions) => {
    const { neuron, seed } = neuronFrom(o);
    const current = parseStimulus('--current', String(o.current));
    const durationMs = parseDuration(o, neuron, 1, peakCurrentNa(current));
    // A sine above the Nyquist frequency 1 / (2 dt) is not resolved by the steps (and its gain window would not fit).
    const nyquistHz = 1000 / (2 * neuron.dtMs);
    if (current.kind === 'sine' && !(current.freqHz <= nyquistHz)) {
      throw new UserError(`--current: freq ${current.freqHz} Hz is above ${nyquistHz} Hz, the highest frequency steps of --dt ${neuron.dtMs} ms resolve`);
    }
    checkOutputs([...(o.plot !== undefined ? [{ flag: '--plot', file: String(o.plot) }] : []), ...jsonOutputs(o)], o.config === undefined ? [] : [String(o.config)]);
    const trace = simulateTrace(neuron, current, durationMs, seed);
    let vMinMv = Infinity;
    let vMaxMv = -Infinity;
    for (const v of trace.vMv) {
      vMinMv = Math.min(vMinMv, v);
      vMaxMv = Math.max(vMaxMv, v);
    }
    const report: TraceReport = {
      neuron: neuron.model,
      params: { ...paramsRecord(neuron, seed), durationMs },
      current,
      rheobaseNa: rheobaseNa(neuron),
      spikeTimesMs: trace.spikeTimesMs,
      vMinMv,
      vMaxMv,
    };
    if (current.kind === 'sine' && neuron.gLNs > 0) {
      const freqs = [...new Set([...GAIN_FREQUENCIES_HZ, current.freqHz])].sort((a, b) => a - b);
      report.gain = passiveGain(neuron, freqs);
    }
    if (o.plot !== undefined) await writePlot(String(o.plot), traceChart(report, trace));
    emitResult(o, () => renderTraceReport(report), () => report);
  });
}

export function neuronCommand(): Command {
  const neuron = new Command('neuron').description('the integrate-and-fire neuron in physical units: f-I curve and membrane traces');
  // Subcommands added with addCommand inherit nothing: errors must reach main's handler (exit 2) here too.
  for (const sub of [fiCommand(), traceCommand()]) {
    neuron.addCommand(sub.exitOverride().configureOutput({ outputError: (str, write) => write(`snnc neuron ${sub.name()}: ${str.replace(/^error: /, '').trim()}\n`) }));
  }
  return neuron;
}
