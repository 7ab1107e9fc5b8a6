/**
 * Applies per-channel corrections found by calibration (Li et al. 2021, "light" calibration)
 * to one spiking layer. `delta[c]` is the mean rate the layer is missing in channel c, in
 * spikes per step (target minus measured). An IF neuron's rate is z / theta, so:
 *
 *   bias:      every step's input current rises by delta theta   (z -> z + delta theta)
 *   potential: v(0) rises by delta T theta, i.e. delta T extra spikes over a T-step run
 *
 * The bias goes where passes/current-transform.ts puts it.
 */
import type { Graph, SpikeNode } from '../ir/graph.js';
import { transformCurrent } from './current-transform.js';
import type { Pass } from './pass.js';
import { InternalError } from '../errors.js';

export type CalibrationMode = 'bias' | 'potential';

export function shiftCurrents(layer: string, delta: Float32Array, mode: CalibrationMode, timesteps: number): Pass {
  return {
    name: `calibrate-${mode}`,
    run(graph: Graph) {
      const spike = graph.nodes.find((n): n is SpikeNode => n.op === 'spike' && n.name === layer);
      if (!spike) throw new InternalError(`no spiking layer ${layer}`);
      const theta = spike.neuron.vThreshold;
      const meanAbs = delta.reduce((s, d) => s + Math.abs(d), 0) / delta.length;
      const summary = `'${layer}': mean |rate correction| ${meanAbs.toFixed(4)} spikes/step over ${delta.length} channels`;
      if (mode === 'potential') {
        const vInitShift = Array.from(delta, (d, c) => (spike.vInitShift?.[c] ?? 0) + d * timesteps);
        const nodes = graph.nodes.map((n) => (n === spike ? { ...spike, vInitShift } : n));
        return { graph: { ...graph, nodes }, log: [`${summary}, applied to v(0)`] };
      }
      const shift = delta.map((d) => d * theta);
      const result = transformCurrent(graph, layer, new Float32Array(shift.length).fill(1), shift, 'bias');
      return { graph: result.graph, log: [`${summary}, added to the bias of ${result.where}`] };
    },
  };
}
