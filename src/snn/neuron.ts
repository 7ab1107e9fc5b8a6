/**
 * The integrate-and-fire neuron of snnc, as one discrete-time step over a layer of neurons.
 * The converted SNN runs it in timesteps with dimensionless potentials (snn/layer.ts maps a
 * spiking layer's parameters); a physical neuron in ms, mV and nA maps onto the same step.
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
 */

export type ResetMode = 'subtract' | 'zero';

export interface NeuronParams {
  /** Membrane decay per step, exp(-dt / tau); 1 for a non-leaky integrator. */
  decay: number;
  /** Input gain per step: membrane change per unit of input held for one step. */
  gain: number;
  /** Resting (leak reversal) potential the membrane decays towards. */
  vRest: number;
  vThreshold: number;
  vReset: number;
  reset: ResetMode;
  /** Absolute refractory period in steps. */
  tRefSteps: number;
}

/** Per-neuron state of one layer: membrane potential and refractory steps left. */
export interface NeuronState {
  v: Float32Array;
  refractory: Int32Array;
}

export function initialState(count: number, vInit: number): NeuronState {
  return { v: new Float32Array(count).fill(vInit), refractory: new Int32Array(count) };
}

/** The non-leaky IF neuron of the converted SNN: threshold 1, reset to 0 or by subtraction. */
export function ifParams(reset: ResetMode, tRefSteps: number, vThreshold = 1): NeuronParams {
  return { decay: 1, gain: 1, vRest: 0, vThreshold, vReset: 0, reset, tRefSteps };
}

/**
 * One timestep for neurons [0, count): reads currents z[zOffset + i], writes spikes (0 or 1)
 * to out[outOffset + i], updates `state` in place. Returns the number of spikes.
 */
export function step(
  p: NeuronParams,
  state: NeuronState,
  z: Float32Array,
  zOffset: number,
  out: Float32Array,
  outOffset: number,
  count: number,
): number {
  const { v, refractory } = state;
  const { decay, gain, vRest, vThreshold, tRefSteps } = p;
  const drop = vThreshold - p.vReset;
  const subtract = p.reset === 'subtract';
  let spikes = 0;
  for (let i = 0; i < count; i++) {
    if (refractory[i]! > 0) {
      refractory[i]!--;
      out[outOffset + i] = 0;
      continue;
    }
    const vi = vRest + decay * (v[i]! - vRest) + gain * z[zOffset + i]!;
    if (vi >= vThreshold) {
      v[i] = subtract ? vi - drop : p.vReset;
      refractory[i] = tRefSteps;
      out[outOffset + i] = 1;
      spikes++;
    } else {
      v[i] = vi;
      out[outOffset + i] = 0;
    }
  }
  return spikes;
}
