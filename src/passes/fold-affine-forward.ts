/**
 * Folds a per-channel affine map y = a x + s that no producer absorbed (a BatchNormalization
 * after a ReLU, a normalisation (x - mean) / std on the input) into the next linear op:
 *
 *   dense:  W (a x + s) + b       = (W diag(a)) x + (W s + b)
 *   conv:   conv_W(a x + s) + b   = conv_{W diag(a)}(x) + (b + sum_{i,k} W[o,i,k] s[i])
 *
 * The conv rule holds only where the conv reads no padding: its zero pads stand for zeros of
 * a x + s, which the folded conv would see as zeros of x, i.e. as s. So a conv with pads takes
 * the affine only when s = 0. Between the affine and the linear op these commute with it:
 * flatten and global average pooling (always), average pooling that does not count padded cells
 * (or has none), and max pooling when every a > 0 (max(a x + s) = a max(x) + s).
 * Every step of the path must have a single reader. An affine that cannot be folded stays an
 * explicit layer (the runtime computes it; on the input it is computed once) and the log says why.
 */
import { consumersOf, renameValue, type AffineNode, type ConvNode, type DenseNode, type Graph, type Node } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';

type Linear = ConvNode | DenseNode;
type Plan = { target: Linear; through: Node[] } | { reason: string };

/** Follows the single-reader path from the affine's output to a linear op that can absorb it. */
function plan(graph: Graph, consumers: Map<string, Node[]>, affine: AffineNode): Plan {
  const through: Node[] = [];
  let value = affine.output;
  const positive = affine.scale.data.every((a) => a > 0);
  const shifted = affine.shift.data.some((s) => s !== 0);
  for (;;) {
    const readers = consumers.get(value) ?? [];
    if (value === graph.output) return { reason: 'it computes the graph output' };
    if (readers.length !== 1) return { reason: `its result is read by ${readers.length} nodes` };
    const next = readers[0]!;
    const where = `${next.op} '${next.name}'`;
    switch (next.op) {
      case 'dense':
        return { target: next, through };
      case 'conv':
        if (shifted && next.pads.some((p) => p > 0)) {
          return { reason: `${where} pads with zeros, which a folded shift would turn into non-zeros` };
        }
        return { target: next, through };
      case 'flatten':
      case 'globalavgpool':
        break;
      case 'avgpool':
        if (next.countIncludePad && next.pads.some((p) => p > 0)) return { reason: `${where} counts padded cells, which the shift does not reach` };
        break;
      case 'maxpool':
        if (!positive) return { reason: `${where} does not commute with a scale <= 0` };
        break;
      default:
        return { reason: `${where} does not commute with it` };
    }
    through.push(next);
    value = next.output;
  }
}

/** The linear op with the affine of `channels` input channels applied to its input. */
function absorb(target: Linear, scale: Float32Array, shift: Float32Array, channels: number): Linear {
  const w = target.weight.data;
  const outCount = target.weight.dims[0]!;
  const inPerOut = target.weight.dims[1]!;
  // Elements of one output's weight per input channel: the kernel for conv, the spatial plane
  // (features per channel after flatten) for dense.
  const per = target.op === 'conv' ? w.length / (outCount * inPerOut) : 1;
  const featuresPerChannel = target.op === 'dense' ? inPerOut / channels : 1;
  const outPerGroup = target.op === 'conv' ? outCount / target.group : outCount;
  const weight = new Float32Array(w.length);
  const bias = Float32Array.from(target.bias.data);
  for (let o = 0; o < outCount; o++) {
    const groupBase = target.op === 'conv' ? Math.floor(o / outPerGroup) * inPerOut : 0;
    let extra = 0;
    for (let i = 0; i < inPerOut; i++) {
      const c = target.op === 'conv' ? groupBase + i : Math.floor(i / featuresPerChannel);
      const base = (o * inPerOut + i) * per;
      for (let k = 0; k < per; k++) {
        weight[base + k] = w[base + k]! * scale[c]!;
        extra += w[base + k]! * shift[c]!;
      }
    }
    bias[o]! += extra;
  }
  return { ...target, weight: tensor(target.weight.dims, weight), bias: tensor(target.bias.dims, bias) };
}

export const foldAffineForward: Pass = {
  name: 'fold-affine-forward',
  run(graph) {
    const log: string[] = [];
    let g: Graph = graph;
    for (;;) {
      const consumers = consumersOf(g);
      const shapes = inferShapes(g);
      let changed = false;
      for (const node of g.nodes) {
        if (node.op !== 'affine') continue;
        const p = plan(g, consumers, node);
        if ('reason' in p) continue;
        const channels = shapes.get(node.output)![0]!;
        const merged = absorb(p.target, node.scale.data, node.shift.data, channels);
        const nodes = g.nodes.filter((n) => n !== node).map((n) => (n === p.target ? merged : n));
        g = renameValue({ ...g, nodes }, node.output, node.inputs[0]!);
        const via = p.through.length > 0 ? ` (through ${p.through.map((n) => `${n.op} '${n.name}'`).join(', ')})` : '';
        log.push(`folded affine '${node.name}' forward into ${p.target.op} '${p.target.name}'${via}`);
        changed = true;
        break;
      }
      if (!changed) break;
    }
    const consumers = consumersOf(g);
    for (const node of g.nodes) {
      if (node.op !== 'affine') continue;
      const p = plan(g, consumers, node);
      if ('reason' in p) log.push(`kept affine '${node.name}' as an explicit layer: ${p.reason}`);
    }
    return { graph: g, log };
  },
};
