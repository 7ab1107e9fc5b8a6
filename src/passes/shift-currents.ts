/**
 * Applies per-channel corrections found by calibration (Li et al. 2021, "light" calibration)
 * to one spiking layer. `delta[c]` is the mean rate the layer is missing in channel c, in
 * spikes per step (target minus measured). An IF neuron's rate is z / theta, so:
 *
 *   bias:      every step's input current rises by delta theta   (z -> z + delta theta)
 *   potential: v(0) rises by delta T theta, i.e. delta T extra spikes over a T-step run
 *
 * The bias goes into the conv / dense / affine feeding the layer when nothing else reads it,
 * otherwise into a new affine node in front of the layer.
 */
import { consumersOf, producersOf, type Graph, type Node, type SpikeNode } from '../ir/graph.js';
import { tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';

export type CalibrationMode = 'bias' | 'potential';

function withShift(producer: Node, shift: Float32Array): Node | null {
  if (producer.op === 'conv' || producer.op === 'dense') {
    return { ...producer, bias: tensor(producer.bias.dims, producer.bias.data.map((b, c) => b + shift[c]!)) };
  }
  if (producer.op === 'affine') {
    return { ...producer, shift: tensor(producer.shift.dims, producer.shift.data.map((b, c) => b + shift[c]!)) };
  }
  return null;
}

export function shiftCurrents(layer: string, delta: Float32Array, mode: CalibrationMode, timesteps: number): Pass {
  return {
    name: `calibrate-${mode}`,
    run(graph: Graph) {
      const spike = graph.nodes.find((n): n is SpikeNode => n.op === 'spike' && n.name === layer);
      if (!spike) throw new Error(`internal: no spiking layer ${layer}`);
      const theta = spike.neuron.vThreshold;
      const meanAbs = delta.reduce((s, d) => s + Math.abs(d), 0) / delta.length;
      const summary = `'${layer}': mean |rate correction| ${meanAbs.toFixed(4)} spikes/step over ${delta.length} channels`;
      if (mode === 'potential') {
        const vInitShift = Array.from(delta, (d, c) => (spike.vInitShift?.[c] ?? 0) + d * timesteps);
        const nodes = graph.nodes.map((n) => (n === spike ? { ...spike, vInitShift } : n));
        return { graph: { ...graph, nodes }, log: [`${summary}, applied to v(0)`] };
      }
      const shift = delta.map((d) => d * theta);
      const input = spike.inputs[0]!;
      const producer = producersOf(graph).get(input);
      const soleReader = consumersOf(graph).get(input)?.length === 1;
      const shifted = producer && soleReader ? withShift(producer, shift) : null;
      if (shifted) {
        const nodes = graph.nodes.map((n) => (n === producer ? shifted : n));
        return { graph: { ...graph, nodes }, log: [`${summary}, added to the bias of '${producer!.name}'`] };
      }
      const name = `${layer}.bias`;
      const affine: Node = {
        name,
        op: 'affine',
        inputs: [input],
        output: name,
        scale: tensor([shift.length], new Float32Array(shift.length).fill(1)),
        shift: tensor([shift.length], shift),
      };
      const nodes = graph.nodes.flatMap((n) => (n === spike ? [affine, { ...spike, inputs: [name] }] : [n]));
      return { graph: { ...graph, nodes }, log: [`${summary}, added by a new affine node '${name}'`] };
    },
  };
}
