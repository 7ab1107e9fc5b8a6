/**
 * Data-based weight normalisation (Diehl et al. 2015; Rueckauer et al. 2017).
 *
 * Every value v of the SNN carries a per-channel scale s(v): SNN value = ANN value / s(v).
 * The input keeps s = 1 (the image is fed as a current). A spiking layer with activation scale
 * lambda and refractory period k fires at rate r = r_max a / lambda, r_max = 1 / (k + 1), so
 * its input current must arrive with s = lambda / r_max, and its spikes leave with that scale.
 * A conv / dense / affine node between scales s_in and s_out is rescaled:
 *
 *   W'[o, i] = W[o, i] s_in[i] / s_out[o],   b'[o] = b[o] / s_out[o]
 *
 * s_out is what the first spiking layer downstream (through pooling, flatten, add, concat)
 * needs, or 1 at the graph output, so the readout accumulates the ANN's logits per step.
 * Where a path arrives with the wrong scale (a skip connection straight from spikes, a ReLU on
 * the input) an affine node rescales it.
 */
import { consumersOf, type Graph, type Node, type SpikeNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { tensor } from '../ir/tensor.js';
import { maxRate } from '../snn/layer.js';
import type { Pass } from './pass.js';

type Scale = Float32Array;

const ones = (n: number): Scale => new Float32Array(n).fill(1);

function sameScale(a: Scale, b: Scale): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= 1e-6 * Math.max(Math.abs(v), Math.abs(b[i]!)));
}

/** Scale a spiking layer needs on its input (and gives its output): lambda / r_max per channel. */
function spikeScale(node: SpikeNode, channels: number): Scale {
  const rMax = maxRate(node.neuron.tRefSteps);
  return Float32Array.from({ length: channels }, (_, c) => node.lambda[node.lambda.length === 1 ? 0 : c]! / rMax);
}

export const normalizeWeights: Pass = {
  name: 'normalize-weights',
  run(graph: Graph) {
    const shapes = inferShapes(graph);
    const consumers = consumersOf(graph);
    const channelsOf = (v: string): number => shapes.get(v)![0]!;
    const log: string[] = [];

    /** The scale that downstream spiking layers require of value v, or null if none constrains it. */
    const targetMemo = new Map<string, Scale | null>();
    const targetOf = (v: string): Scale | null => {
      if (targetMemo.has(v)) return targetMemo.get(v)!;
      let target: Scale | null = v === graph.output ? ones(channelsOf(v)) : null;
      for (const c of consumers.get(v) ?? []) {
        if (target) break;
        if (c.op === 'spike') target = spikeScale(c, channelsOf(v));
        else if (c.op === 'maxpool' || c.op === 'avgpool' || c.op === 'globalavgpool' || c.op === 'add' || c.op === 'relu') {
          target = targetOf(c.output);
        } else if (c.op === 'concat') {
          const t = targetOf(c.output);
          const offset = c.inputs.slice(0, c.inputs.indexOf(v)).reduce((sum, i) => sum + channelsOf(i), 0);
          target = t && t.slice(offset, offset + channelsOf(v));
        } else if (c.op === 'flatten') {
          const t = targetOf(c.output);
          const plane = t ? t.length / channelsOf(v) : 1;
          target = t && Float32Array.from({ length: channelsOf(v) }, (_, ch) => t[ch * plane]!);
        }
      }
      targetMemo.set(v, target);
      return target;
    };

    const scales = new Map<string, Scale>([[graph.input.name, ones(channelsOf(graph.input.name))]]);
    const nodes: Node[] = [];
    let inserted = 0;
    /** Returns a value holding `v` at scale `want`, adding an affine rescale node if needed. */
    const atScale = (v: string, want: Scale, reason: string): string => {
      const have = scales.get(v)!;
      if (sameScale(have, want)) return v;
      const name = `${v}.rescale${inserted++}`;
      const factor = have.map((h, c) => h / want[c]!);
      nodes.push({ name, op: 'affine', inputs: [v], output: name, scale: tensor([factor.length], factor), shift: tensor([factor.length]) });
      scales.set(name, want);
      log.push(`inserted rescale '${name}' (${reason})`);
      return name;
    };

    for (const node of graph.nodes) {
      const sIn = scales.get(node.inputs[0]!)!;
      switch (node.op) {
        case 'conv':
        case 'dense':
        case 'affine': {
          const sOut = targetOf(node.output) ?? ones(channelsOf(node.output));
          nodes.push(rescale(node, sIn, sOut));
          scales.set(node.output, sOut);
          break;
        }
        case 'spike': {
          const want = spikeScale(node, channelsOf(node.output));
          nodes.push({ ...node, inputs: [atScale(node.inputs[0]!, want, `input of spiking layer '${node.name}'`)] });
          scales.set(node.output, want);
          break;
        }
        case 'add': {
          const want = targetOf(node.output) ?? sIn;
          nodes.push({ ...node, inputs: node.inputs.map((i) => atScale(i, want, `input of add '${node.name}'`)) });
          scales.set(node.output, want);
          break;
        }
        case 'concat': {
          nodes.push(node);
          const parts = node.inputs.map((i) => scales.get(i)!);
          const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
          parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
          scales.set(node.output, out);
          break;
        }
        case 'flatten': {
          nodes.push(node);
          const plane = shapes.get(node.output)![0]! / sIn.length;
          scales.set(node.output, Float32Array.from({ length: sIn.length * plane }, (_, f) => sIn[Math.floor(f / plane)]!));
          break;
        }
        default:
          // Pooling and ReLU commute with a positive per-channel scale.
          nodes.push(node);
          scales.set(node.output, sIn);
      }
    }
    // The readout compares classes: any single positive scale keeps the argmax.
    let output = graph.output;
    const sOut = scales.get(output)!;
    if (!sameScale(sOut, new Float32Array(sOut.length).fill(sOut[0]!))) {
      output = atScale(output, ones(sOut.length), 'the readout must be one scale for all classes');
    }
    log.push(`rescaled ${graph.nodes.filter((n) => n.op === 'conv' || n.op === 'dense' || n.op === 'affine').length} weighted layers to firing-rate units`);
    return { graph: { ...graph, nodes, output }, log };
  },
};

/** W'[o, i] = W[o, i] sIn[i] / sOut[o], b' = b / sOut for conv, dense and affine nodes. */
function rescale(node: Extract<Node, { op: 'conv' | 'dense' | 'affine' }>, sIn: Scale, sOut: Scale): Node {
  if (node.op === 'affine') {
    const scale = node.scale.data.map((a, c) => (a * sIn[c]!) / sOut[c]!);
    const shift = node.shift.data.map((b, c) => b / sOut[c]!);
    return { ...node, scale: tensor(node.scale.dims, scale), shift: tensor(node.shift.dims, shift) };
  }
  const dims = node.weight.dims;
  const out = dims[0]!;
  const inPerOut = dims[1]!;
  const kernel = node.weight.data.length / (out * inPerOut);
  const outPerGroup = node.op === 'conv' ? out / node.group : out;
  const w = new Float32Array(node.weight.data.length);
  for (let o = 0; o < out; o++) {
    const inBase = node.op === 'conv' ? Math.floor(o / outPerGroup) * inPerOut : 0;
    for (let i = 0; i < inPerOut; i++) {
      const f = sIn[inBase + i]! / sOut[o]!;
      const base = (o * inPerOut + i) * kernel;
      for (let k = 0; k < kernel; k++) w[base + k] = node.weight.data[base + k]! * f;
    }
  }
  const bias = node.bias.data.map((b, o) => b / sOut[o]!);
  return { ...node, weight: tensor(dims, w), bias: tensor(node.bias.dims, bias) };
}
