/**
 * The integrate-and-fire neuron of snnc, as one discrete-time step over a layer of neurons.
 * The converted SNN runs it in timesteps with dimensionless potentials (snn/layer.ts maps a
 * spiking layer's parameters); the neuron lab runs it in ms, mV and nA (snn/physical.ts maps
 * a physical neuron onto the same parameters). One implementation serves both.
 *
 * Subthreshold dynamics of C dV/dt = -g_L (V - E_L) + I, integrated exactly over one step of
 * length dt for an input held constant during the step:
 *
 *   v[t+1] = vRest + decay (v[t] - vRest) + gain z[t],   decay = exp(-dt / tau_m),
 *                                                       gain  = (1 - decay) R   (R = 1/g_L)
 *
 * The perfect integrator (IF, g_L = 0) is the limit decay = 1, gain = dt / C. In the converted
 * SNN, z is the synaptic current of a timestep and gain = 1.
 *
 * Spike when v >= vThreshold, then reset:
 *   subtract: v -> v - (vThreshold - vReset)    (keeps the surplus: no information lost)
 *   zero:     v -> vReset
 * and stay refractory for tRefSteps steps: no integration, v held (absolute refractory
 * period), so a neuron fires at most once every tRefSteps + 1 steps.
 *
 * Signed spikes (`signed`, reset by subtraction only): a neuron whose membrane falls below
 * vReset while its net count N (+1 spikes minus -1 spikes) is positive emits a -1 spike,
 * v -> v + (vThreshold - vReset), N -> N - 1: it takes back a spike its input no longer
 * supports. With vReset 0, threshold θ and every |z| < θ this keeps 0 <= v < θ whenever N > 0,
 * so after any input sequence
 *
 *   N(t) = max(0, floor((v(0) + z[1] + ... + z[t]) / θ))
 *
 * the integrated current quantised and rectified, whatever the order the current came in. A
 * binary neuron's count depends on the order: charge that arrives early fires spikes that
 * later negative current cannot undo, the error that grows with depth in a converted network
 * whose deep layers receive their input late and unevenly.
 *
 * Options of the same step (absent: the plain IF/LIF loop above, unchanged):
 *   - timing 'exact': the threshold crossing is located inside the step from the exponential
 *     solution (or the straight line of the IF neuron), the reset and the refractory period
 *     start there, and integration resumes mid-step when the refractory period ends. Spike
 *     times are then not quantised to the step (snn/step-extended.ts).
 *   - noiseStd: membrane noise sigma dW by Euler-Maruyama, v += noiseStd xi with xi ~ N(0, 1)
 *     from the state's seeded generator; noiseStd = sigma sqrt(dt).
 *   - adaptation: a spike-triggered conductance, C dV/dt = ... - g_a a (V - E_K),
 *     tau_a da/dt = -a, a -> a + b at each spike.
 */
import { NormalSource } from './normal.js';
import { isPlain, type NeuronParams, type NeuronState, type ResetMode, type StateOptions } from './neuron-params.js';
import { stepExtended } from './step-extended.js';
import { InternalError } from '../errors.js';

export type { AdaptationParams, NeuronParams, NeuronState, ResetMode, SpikeTiming, StateOptions } from './neuron-params.js';
export { isPlain, NEURON_PARAM_KEYS } from './neuron-params.js';

/** State for `count` neurons at v = vInit; pass the params to allocate what their options need. */
export function initialState(count: number, vInit: number, p?: NeuronParams, options?: StateOptions & { precision?: 'float32' }): NeuronState<Float32Array>;
export function initialState(count: number, vInit: number, p: NeuronParams | undefined, options: StateOptions & { precision: 'float64' }): NeuronState<Float64Array>;
export function initialState(count: number, vInit: number, p?: NeuronParams, options: StateOptions = {}): NeuronState<Float32Array | Float64Array> {
  const v = options.precision === 'float64' ? new Float64Array(count) : new Float32Array(count);
  const state: NeuronState<Float32Array | Float64Array> = { v: v.fill(vInit), refractory: new Int32Array(count) };
  if (p?.timing === 'exact') {
    state.refractoryLeft = new Float64Array(count);
    state.spikeTime = new Float64Array(count);
  }
  if (p?.adaptation) state.adaptation = new Float64Array(count);
  if (p?.signed) state.net = new Int32Array(count);
  if (p?.noiseStd) {
    if (options.seed === undefined) throw new InternalError('a neuron state with noise needs a seed');
    state.noise = new NormalSource(options.seed);
  }
  return state;
}

/** The non-leaky IF neuron of the converted SNN: threshold 1, reset to 0 or by subtraction. */
export function ifParams(reset: ResetMode, tRefSteps: number, vThreshold = 1): NeuronParams {
  return { decay: 1, gain: 1, vRest: 0, vThreshold, vReset: 0, reset, tRefSteps };
}

/**
 * One timestep for neurons [0, count): reads currents z[zOffset + i], writes spikes to
 * out[outOffset + i] (0 or 1, -1 for a signed neuron's negative spike; with exact timing the
 * number of spikes in the step, which exceeds 1 only if the refractory period is shorter than
 * a step), updates `state` in place. Returns the number of spikes (of either sign). The loop
 * variant is chosen once per call.
 */
export function step(
  p: NeuronParams,
  state: NeuronState<Float32Array | Float64Array>,
  z: Float32Array | Float64Array,
  zOffset: number,
  out: Float32Array | Float64Array,
  outOffset: number,
  count: number,
): number {
  if (!isPlain(p)) return stepExtended(p, state, z, zOffset, out, outOffset, count);
  const { v, refractory, net } = state;
  const { decay, gain, vRest, vThreshold, vReset, tRefSteps } = p;
  const drop = vThreshold - vReset;
  const subtract = p.reset === 'subtract';
  const signed = p.signed === true;
  if (signed && (!subtract || net === undefined)) throw new InternalError('signed spikes need reset by subtraction and a state with net counts');
  let spikes = 0;
  for (let i = 0; i < count; i++) {
    if (refractory[i]! > 0) {
      refractory[i]!--;
      out[outOffset + i] = 0;
      continue;
    }
    const vi = vRest + decay * (v[i]! - vRest) + gain * z[zOffset + i]!;
    if (vi >= vThreshold) {
      v[i] = subtract ? vi - drop : vReset;
      refractory[i] = tRefSteps;
      out[outOffset + i] = 1;
      spikes++;
      if (signed) net![i]!++;
    } else if (signed && vi < vReset && net![i]! > 0) {
      v[i] = vi + drop;
      out[outOffset + i] = -1;
      spikes++;
      net![i]!--;
    } else {
      v[i] = vi;
      out[outOffset + i] = 0;
    }
  }
  return spikes;
}
