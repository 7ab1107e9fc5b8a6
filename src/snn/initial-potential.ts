/**
 * v(0) of a spiking layer for a batch, in membrane units:
 *   fixed:   v(0) = vInitFraction theta (0.5: floor becomes rounding, Bu et al. 2022)
 *   random:  v(0) ~ U[0, theta) per neuron and sample (dithering): the spike count of a
 *            neuron with constant input z over T steps, floor(T z / theta + U), is unbiased,
 *            E = T z / theta, and the layer's neurons stop firing in lockstep, which makes
 *            the currents of the next layer smoother (less "unevenness" error early on).
 * plus the per-channel shift of potential calibration.
 */
import type { SpikeNode } from '../ir/graph.js';
import { mixKey, uniformAt } from './counter-random.js';

const V_INIT_STREAM = 0x7f1;

/** Fills `v` ([batch][channels x plane]) with the layer's initial potentials. */
export function fillInitialPotential(v: Float32Array | Float64Array, node: SpikeNode, batch: number, seed: number, layerIndex: number, firstSample: number): void {
  const theta = node.neuron.vThreshold;
  const per = v.length / batch;
  if (node.neuron.vInitRandom) {
    for (let b = 0; b < batch; b++) {
      const key = mixKey(seed, V_INIT_STREAM, layerIndex, firstSample + b);
      for (let i = 0; i < per; i++) v[b * per + i] = uniformAt(key, i) * theta;
    }
  } else {
    v.fill(node.neuron.vInitFraction * theta);
  }
  if (node.vInitShift) {
    const channels = node.vInitShift.length;
    const plane = per / channels;
    for (let i = 0; i < v.length; i++) v[i]! += node.vInitShift[Math.floor((i % per) / plane)]! * theta;
  }
}
