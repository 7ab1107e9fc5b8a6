/**
 * Changes the current entering one spiking layer, z -> gain z + offset (per channel), where it
 * is cheapest: in the conv / dense / affine producing it when nothing else reads that value;
 * at a residual join z = a + b, in the producers of both terms (gain a + offset and gain b)
 * when each is read by the add alone; otherwise in a new affine node in front of the layer.
 * Used by calibration and leak compensation.
 */
import { consumersOf, producersOf, type Graph, type Node, type SpikeNode } from '../ir/graph.js';
import { tensor } from '../ir/tensor.js';
import { InternalError } from '../errors.js';

function transformed(producer: Node, gain: Float32Array, offset: Float32Array): Node | null {
  if (producer.op === 'conv' || producer.op === 'dense') {
    const rows = gain.length;
    const per = producer.weight.data.length / rows;
    return {
      ...producer,
      weight: tensor(producer.weight.dims, producer.weight.data.map((w, i) => w * gain[Math.floor(i / per)]!)),
      bias: tensor(producer.bias.dims, producer.bias.data.map((b, c) => b * gain[c]! + offset[c]!)),
    };
  }
  if (producer.op === 'affine') {
    return {
      ...producer,
      scale: tensor(producer.scale.dims, producer.scale.data.map((a, c) => a * gain[c]!)),
      shift: tensor(producer.shift.dims, producer.shift.data.map((b, c) => b * gain[c]! + offset[c]!)),
    };
  }
  return null;
}

/** Returns the new graph and where the change went. `gain` and `offset` have one value per channel. */
export function transformCurrent(graph: Graph, layer: string, gain: Float32Array, offset: Float32Array, suffix: string): { graph: Graph; where: string } {
  const spike = graph.nodes.find((n): n is SpikeNode => n.op === 'spike' && n.name === layer);
  if (!spike) throw new InternalError(`no spiking layer ${layer}`);
  const input = spike.inputs[0]!;
  const producers = producersOf(graph);
  const consumers = consumersOf(graph);
  const soleProducer = (value: string) => (consumers.get(value)?.length === 1 ? producers.get(value) : undefined);
  const producer = soleProducer(input);
  const changed = producer ? transformed(producer, gain, offset) : null;
  if (changed) {
    return { graph: { ...graph, nodes: graph.nodes.map((n) => (n === producer ? changed : n)) }, where: `'${producer!.name}'` };
  }
  if (producer?.op === 'add' && producer.inputs.length === 2 && producer.inputs[0] !== producer.inputs[1]) {
    const terms = producer.inputs.map(soleProducer);
    const zero = new Float32Array(offset.length);
    const parts = terms.map((t, i) => (t ? transformed(t, gain, i === 0 ? offset : zero) : null));
    if (parts[0] && parts[1]) {
      const swap = new Map<Node, Node>(terms.map((t, i) => [t!, parts[i]!]));
      return { graph: { ...graph, nodes: graph.nodes.map((n) => swap.get(n) ?? n) }, where: `'${terms[0]!.name}' and '${terms[1]!.name}' (the terms of '${producer.name}')` };
    }
  }
  const name = `${layer}.${suffix}`;
  const affine: Node = { name, op: 'affine', inputs: [input], output: name, scale: tensor([gain.length], gain), shift: tensor([offset.length], offset) };
  const nodes = graph.nodes.flatMap((n) => (n === spike ? [affine, { ...spike, inputs: [name] }] : [n]));
  return { graph: { ...graph, nodes }, where: `a new affine node '${name}'` };
}
