/**
 * Leak compensation for LIF neurons. An IF neuron's rate is linear in its current, r = z / theta,
 * which is what weight normalisation assumes; a LIF neuron leaks, so it is silent below the
 * rheobase (1 - a) theta and fires slower than z / theta above it (snn/lif-rate.ts). The
 * converter keeps the network linear (weights and biases only) and picks, per spiking layer, a
 * gain g and an offset c so that the LIF rate of g z + c is as close as possible to the
 * intended rate z / theta over z in [0, r_max theta] (least squares on a grid, with a penalty
 * for firing at negative z, where the ANN's ReLU is 0). The current into the layer is
 * rescaled: z -> g z + c.
 */
import type { Graph, SpikeNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { maxRate } from '../snn/layer.js';
import { lifRate, lifRheobase } from '../snn/lif-rate.js';
import { transformCurrent } from './current-transform.js';
import type { Pass } from './pass.js';

export interface LeakFit {
  gain: number;
  offset: number;
  /** Root mean square rate error of the fit, in spikes per step. */
  rmsError: number;
  /** The same without compensation (gain 1, offset 0). */
  uncompensatedRmsError: number;
}

/** Best (gain, offset) for a layer of LIF neurons with the given tau and refractory period. */
export function fitLeakCompensation(tauSteps: number, tRefSteps: number, theta = 1): LeakFit {
  const rMax = maxRate(tRefSteps);
  const grid = Array.from({ length: 41 }, (_, i) => (i / 40) * rMax * theta);
  const below = Array.from({ length: 10 }, (_, i) => -((i + 1) / 40) * rMax * theta);
  const error = (g: number, c: number): number => {
    let e = 0;
    for (const z of grid) e += (lifRate(g * z + c, tauSteps, tRefSteps, theta) - Math.min(rMax, z / theta)) ** 2;
    for (const z of below) e += lifRate(g * z + c, tauSteps, tRefSteps, theta) ** 2;
    return e / (grid.length + below.length);
  };
  const rheo = lifRheobase(tauSteps, theta);
  const uncompensatedRmsError = Math.sqrt(error(1, 0));
  let best = { gain: 1, offset: 0, rmsError: uncompensatedRmsError };
  for (let gi = 0; gi <= 150; gi++) {
    const g = 1 + gi * 0.02;
    for (let ci = 0; ci <= 60; ci++) {
      const c = (ci / 50) * rheo;
      const e = Math.sqrt(error(g, c));
      if (e < best.rmsError) best = { gain: g, offset: c, rmsError: e };
    }
  }
  return { ...best, uncompensatedRmsError };
}

export const compensateLeak: Pass = {
  name: 'compensate-leak',
  run(graph: Graph) {
    const log: string[] = [];
    let g = graph;
    for (const spike of graph.nodes.filter((n): n is SpikeNode => n.op === 'spike' && n.neuron.model === 'lif')) {
      const { tauSteps, tRefSteps, vThreshold } = spike.neuron;
      const fit = fitLeakCompensation(tauSteps!, tRefSteps, vThreshold);
      const channels = spike.lambda.length === 1 ? channelsOf(g, spike) : spike.lambda.length;
      const result = transformCurrent(g, spike.name, new Float32Array(channels).fill(fit.gain), new Float32Array(channels).fill(fit.offset), 'leak');
      g = result.graph;
      log.push(
        `'${spike.name}': LIF tau ${tauSteps} steps: current x ${fit.gain.toFixed(2)} + ${fit.offset.toFixed(4)}, ` +
          `rms rate error ${fit.uncompensatedRmsError.toFixed(4)} -> ${fit.rmsError.toFixed(4)} spikes/step (in ${result.where})`,
      );
    }
    return { graph: g, log };
  },
};

function channelsOf(graph: Graph, spike: SpikeNode): number {
  return inferShapes(graph).get(spike.output)![0]!;
}
