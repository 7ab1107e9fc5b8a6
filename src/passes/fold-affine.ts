/**
 * Folds per-channel affine nodes (BatchNormalization, Add/Mul by constants) into the conv or
 * dense that produces their input:
 *   a (W x + b) + s  =  (a W) x + (a b + s)      (a, s per output channel)
 * Only when that producer's output feeds nothing else. Consecutive affine nodes merge.
 */
import { consumersOf, producersOf, renameValue, type AffineNode, type Graph, type Node } from '../ir/graph.js';
import { tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';

function scaleRows(data: Float32Array, scale: Float32Array): Float32Array {
  const rows = scale.length;
  const per = data.length / rows;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let i = 0; i < per; i++) out[r * per + i] = data[r * per + i]! * scale[r]!;
  return out;
}

/** The producer with `affine` applied to its output, or null when it cannot absorb it. */
function absorb(producer: Node, affine: AffineNode): Node | null {
  const a = affine.scale.data;
  const s = affine.shift.data;
  switch (producer.op) {
    case 'conv':
    case 'dense': {
      const bias = producer.bias.data.map((b, c) => a[c]! * b + s[c]!);
      return { ...producer, weight: tensor(producer.weight.dims, scaleRows(producer.weight.data, a)), bias: tensor(producer.bias.dims, bias) };
    }
    case 'affine': {
      const scale = producer.scale.data.map((p, c) => a[c]! * p);
      const shift = producer.shift.data.map((p, c) => a[c]! * p + s[c]!);
      return { ...producer, scale: tensor(producer.scale.dims, scale), shift: tensor(producer.shift.dims, shift) };
    }
    default:
      return null;
  }
}

export const foldAffine: Pass = {
  name: 'fold-affine',
  run(graph) {
    const log: string[] = [];
    let g: Graph = graph;
    for (;;) {
      const producers = producersOf(g);
      const consumers = consumersOf(g);
      let changed = false;
      for (const node of g.nodes) {
        if (node.op !== 'affine') continue;
        const producer = producers.get(node.inputs[0]!);
        if (!producer || consumers.get(producer.output)!.length !== 1 || producer.output === g.output) continue;
        const merged = absorb(producer, node);
        if (!merged) continue;
        const nodes = g.nodes.filter((n) => n !== node).map((n) => (n === producer ? merged : n));
        g = renameValue({ ...g, nodes }, node.output, producer.output);
        log.push(`folded affine '${node.name}' into ${producer.op} '${producer.name}'`);
        changed = true;
        break;
      }
      if (!changed) return { graph: g, log };
    }
  },
};
