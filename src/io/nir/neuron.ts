/**
 * snnc's spiking layers and readout as NIR neurons, with time in seconds.
 *
 * Time convention (recorded in the graph's metadata): snnc step t covers the interval
 * [t dt, (t+1) dt) with dt = --dt seconds; every signal is held constant over a step: the
 * input (the preprocessed image, the same at every step), the currents of linear layers, and
 * spikes (a spike is a pulse of height 1 lasting one step). This is how NIR's discrete-time
 * importers treat signals. Under it, NIR's equations integrated over one step reproduce
 * snnc's step (snn/neuron.ts: v <- decay v + z with gain 1, z the layer's input current):
 *
 *   IF   NIR: dv/dt = R I            -> v <- v + R dt I
 *        snnc: v <- v + z            => r = 1 / dt
 *   LIF  NIR: tau dv/dt = (v_leak - v) + R I, exact for I constant over the step:
 *          v <- v_leak + (v - v_leak) e^(-dt/tau) + R (1 - e^(-dt/tau)) I
 *        snnc: v <- e^(-1/tau_steps) v + z
 *                                    => tau = tau_steps dt, v_leak = 0,
 *                                       r = 1 / (1 - e^(-1/tau_steps))
 *   I    (readout) NIR: dv/dt = R I  => r = 1 / dt, so v(t) = sum of the output current over
 *        steps 1..t: the accumulator whose argmax is snnc's prediction at step t.
 *
 * Spikes: NIR fires when v > v_threshold (nir's IF, LIF and Threshold docstrings; Norse and
 * snnTorch compare so too), snnc when v >= theta. v_threshold is the largest float32 below
 * theta, so that for a float32 membrane v > v_threshold is exactly v >= theta. Importers that
 * fire on v >= v_threshold (Sinabs) get theta itself with threshold 'ge'.
 * After a spike NIR sets v to v_reset: exact for snnc's reset to zero (v_reset = vReset), a
 * loss for reset by subtraction. NIR has no refractory period and no initial state (v(0),
 * including the per-channel shifts of potential calibration, is a loss).
 */
import type { SpikeNode } from '../../ir/graph.js';
import { f32, f64Scalar, filled, i64Scalar, str, type LossKind, type NirNode } from './document.js';

export interface Translated {
  node: NirNode;
  losses: { kind: LossKind; message: string }[];
}

/** The largest float32 strictly below x (for a float32 v: v > float32Below(x) <=> v >= x). */
export function float32Below(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  const f = view.getFloat32(0);
  if (f < x) return f;
  const bits = view.getUint32(0);
  // One unit in the last place towards -infinity: positive floats shrink with their bit
  // pattern, negative ones grow; below +0 comes the negative smallest subnormal.
  view.setUint32(0, f > 0 ? bits - 1 : f < 0 ? bits + 1 : 0x80000001);
  return view.getFloat32(0);
}

/** NIR r of an IF neuron whose step adds its input current once per dt seconds. */
export const ifResistance = (dtS: number): number => 1 / dtS;

/** NIR r of a LIF neuron with time constant tau_steps whose step adds its input current with gain 1. */
export const lifResistance = (tauSteps: number): number => 1 / -Math.expm1(-1 / tauSteps);

/** How an importer compares the membrane with v_threshold: 'gt' (v > v_threshold, NIR's) or 'ge' (v >= v_threshold). */
export type ThresholdTest = 'gt' | 'ge';

export interface NeuronExport {
  dtS: number;
  threshold: ThresholdTest;
  /** Write IF layers as LIF nodes whose leak is below float32 resolution (for importers that run IF otherwise). */
  ifAsLif?: boolean;
  /** Leave v_reset out (readers of nir <= 1.0.5 reject it; later ones default it to 0). */
  omitVReset: boolean;
}

/**
 * IF as a LIF of time constant IF_AS_LIF_TAU_STEPS steps: per step the membrane decays by
 * e^(-1e-8), which leaves a float32 membrane unchanged (its resolution is 6e-8), and the input
 * gain r (1 - e^(-dt/tau)) is 1. snnTorch maps NIR's IF to a leaky neuron (beta 0.9) but its
 * LIF, with its fixed step of 1e-4 s, to beta = 1 - dt/tau: 1 in float32, i.e. an IF.
 */
export const IF_AS_LIF_TAU_STEPS = 1e8;

export function spikeToNir(node: SpikeNode, shape: readonly number[], options: NeuronExport): Translated {
  const asLif = options.ifAsLif === true && node.neuron.model === 'if';
  const p = asLif ? { ...node.neuron, model: 'lif' as const, tauSteps: IF_AS_LIF_TAU_STEPS } : node.neuron;
  const { dtS } = options;
  const vThreshold = filled(shape, options.threshold === 'gt' ? float32Below(p.vThreshold) : p.vThreshold);
  const vReset: NirNode['params'] = options.omitVReset ? {} : { v_reset: filled(shape, p.vReset) };
  const params: NirNode['params'] =
    p.model === 'if'
      ? { r: filled(shape, ifResistance(dtS)), v_threshold: vThreshold, ...vReset }
      : {
          tau: filled(shape, p.tauSteps! * dtS),
          r: filled(shape, lifResistance(p.tauSteps!)),
          v_leak: filled(shape, 0),
          v_threshold: vThreshold,
          ...vReset,
        };
  const vInit = p.vInitFraction * p.vThreshold;
  const metadata: NirNode['metadata'] = {
    snnc_neuron: str(node.neuron.model),
    snnc_v_threshold: f64Scalar(p.vThreshold),
    snnc_v_reset: f64Scalar(p.vReset),
    snnc_reset: str(p.reset),
    snnc_t_ref_steps: i64Scalar(p.tRefSteps),
    ...(p.predistort && p.tRefSteps > 0 ? { snnc_predistort: str('input current z -> t f(mean z) increments, f(z) = theta r / (1 - k r), r = z / theta (snnc --predistort)') } : {}),
    snnc_v_init: f64Scalar(vInit),
    ...(p.vInitRandom ? { snnc_v_init_random: str('uniform in [0, v_threshold) per neuron and sample, from the run\'s seed') } : {}),
    snnc_lambda: f32([node.lambda.length], Float32Array.from(node.lambda)),
    ...(node.neuron.model === 'lif' ? { snnc_tau_steps: f64Scalar(p.tauSteps!) } : {}),
    ...(node.vInitShift ? { snnc_v_init_shift: f32([node.vInitShift.length], Float32Array.from(node.vInitShift)) } : {}),
  };
  const losses: Translated['losses'] = [];
  if (asLif) {
    losses.push({ kind: 'leak', message: `IF written as LIF with tau = ${IF_AS_LIF_TAU_STEPS} steps: a leak of 1e-8 per step, below float32 resolution` });
  }
  if (options.omitVReset && p.vReset !== 0) {
    losses.push({ kind: 'reset', message: `v_reset = ${p.vReset} is left out for old nir readers, which reset to 0` });
  }
  if (p.reset === 'subtract') {
    losses.push({
      kind: 'reset',
      message: `reset by subtraction (v -= ${p.vThreshold - p.vReset}, the surplus is kept) becomes NIR's reset to v_reset = ${p.vReset}`,
    });
  }
  if (p.signed) {
    losses.push({ kind: 'signed', message: 'signed spikes are dropped: a NIR neuron emits no -1 spike, so it keeps spikes its integrated current no longer supports' });
  }
  if (p.tRefSteps > 0) {
    losses.push({
      kind: 'refractory',
      message:
        `refractory period of ${p.tRefSteps} step(s) (${p.tRefSteps * dtS} s) without integration after a spike is dropped: NIR neurons have none` +
        (p.predistort ? '; so is the pre-distortion of the input current that compensates for it' : ''),
    });
  }
  const shifts = node.vInitShift ?? [];
  if (vInit !== 0 || shifts.some((d) => d !== 0)) {
    const perChannel = shifts.length > 0 ? ` plus per-channel shifts of ${Math.min(...shifts)}..${Math.max(...shifts)} x threshold` : '';
    const value = p.vInitRandom ? 'drawn uniformly in [0, threshold)' : `= ${vInit} (${p.vInitFraction} x threshold)`;
    losses.push({
      kind: 'v_init',
      message: `initial membrane potential v(0) ${value}${perChannel} is dropped: NIR stores no initial state (importers start at v = 0)`,
    });
  }
  return { node: { type: p.model === 'if' ? 'IF' : 'LIF', params, metadata }, losses };
}

/**
 * The readout: snnc's output layer does not spike; its current is summed over steps and the
 * prediction at step t is the argmax of the sum. An integrator (NIR `I`) holds that sum.
 */
export function readoutIntegrator(shape: readonly number[], dtS: number): NirNode {
  return {
    type: 'I',
    params: { r: filled(shape, ifResistance(dtS)) },
    metadata: { snnc_op: str('readout') },
  };
}
