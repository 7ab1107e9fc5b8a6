/**
 * A NIR graph (read.ts) as a network snnc's runtime runs: IR nodes with spiking layers, and a
 * rate ANN beside it as the reference accuracy. Pure: records in, graphs out.
 *
 * Time: a step lasts dt = the graph metadata's dt_s (snnc's files), else 1 (a step is one time
 * unit: how Norse and snnTorch run IF with r = 1). Every signal is held over a step, so over
 * one step NIR's equations give snnc's v <- decay v + z with
 *   IF   decay 1,            z = r dt I
 *   LIF  decay e^(-dt/tau),  z = r (1 - e^(-dt/tau)) I,  tau_steps = tau / dt  (v_leak = 0)
 * The gain in front of z becomes an affine node when it is not 1. Then spike when v > theta:
 * snnc fires on v >= theta, so theta is taken as the next float32 above v_threshold (for a
 * float32 membrane the two tests then agree), and v <- v_reset.
 *
 *   Conv2d -> conv; Affine, Linear -> dense; Scale -> affine (one value per channel);
 *   AvgPool2d -> avgpool; SumPool2d -> avgpool then affine x (kernel area);
 *   Flatten (end_dim -1, start_dim 0 or -rank in NIR's axes, or 1 in torch's) -> flatten;
 *   CubaLIF with tau_syn <= dt / 1000 -> LIF with r w_in (its synapse follows the input);
 *   I or LI feeding the Output -> the readout, which sums the current over steps (an LI's
 *   leak is dropped, and logged); a node with several incoming edges sums them (add).
 * Anything else is refused, every such node named in one line.
 */
import { UserError } from '../../errors.js';
import type { Graph, NeuronLayerParams, Node, Pads, Pair } from '../../ir/graph.js';
import { inferShapes, windowOutput } from '../../ir/shapes.js';
import { tensor } from '../../ir/tensor.js';
import { DEFAULT_PREPROCESS, type Preprocess } from '../../model/dataset.js';
import type { NirArray, NirDataset, NirGraphRecord, NirRecord } from './read.js';

export const RUNNABLE_TYPES = ['Input', 'Output', 'Conv2d', 'Affine', 'Linear', 'Scale', 'SumPool2d', 'AvgPool2d', 'Flatten', 'IF', 'LIF', 'CubaLIF', 'I', 'LI'];

export interface ImportedNir {
  snn: Graph;
  /** The same network with every spiking layer as a ReLU clipped at one spike per step (rate model). */
  ann: Graph;
  preprocess: Preprocess;
  neuron: 'if' | 'lif';
  log: string[];
}

/** The smallest float32 above x: for a float32 v, v > x <=> v >= float32Above(x). */
export function float32Above(x: number): number {
  const f = Math.fround(x);
  if (f > x) return f;
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, f);
  const bits = view.getUint32(0);
  view.setUint32(0, f > 0 ? bits + 1 : f < 0 ? bits - 1 : 1);
  return view.getFloat32(0);
}

class Reader {
  constructor(
    readonly name: string,
    readonly node: NirRecord,
  ) {}
  private fail(message: string): never {
    throw new UserError(`node ${this.name} (${this.node.type}): ${message}`);
  }
  array(key: string): NirArray {
    const d: NirDataset | undefined = this.node.params.get(key);
    if (d?.kind !== 'array') this.fail(`no numeric '${key}'`);
    return d.value;
  }
  has(key: string): boolean {
    return this.node.params.get(key)?.kind === 'array';
  }
  /** One value for the whole layer (NIR stores one per neuron). */
  uniform(key: string, fallback?: number): number {
    if (fallback !== undefined && !this.has(key)) return fallback;
    const { data } = this.array(key);
    if (data.length === 0) this.fail(`'${key}' is empty`);
    const v = data[0]!;
    if (data.some((x) => Math.abs(x - v) > 1e-6 * Math.max(1, Math.abs(v)))) this.fail(`'${key}' differs between neurons; snnc's layers share one value`);
    return v;
  }
  pair(key: string, fallback: number): Pair {
    if (!this.has(key)) return [fallback, fallback];
    const { data } = this.array(key);
    return data.length === 1 ? [data[0]!, data[0]!] : [data[0]!, data[1]!];
  }
  int(key: string, fallback: number): number {
    return this.has(key) ? this.array(key).data[0]! : fallback;
  }
  refuse(message: string): never {
    this.fail(message);
  }
}

function f32(shape: number[], data: Float64Array | number[]): ReturnType<typeof tensor> {
  return tensor(shape, Float32Array.from(data));
}

function topological(record: NirGraphRecord): string[] {
  const preds = new Map<string, string[]>([...record.nodes.keys()].map((k) => [k, []]));
  for (const [a, b] of record.edges) {
    if (!record.nodes.has(a) || !record.nodes.has(b)) throw new UserError(`edge ${a} -> ${b}: no such node`);
    preds.get(b)!.push(a);
  }
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < record.nodes.size) {
    const ready = [...record.nodes.keys()].filter((k) => !done.has(k) && preds.get(k)!.every((p) => done.has(p)));
    if (ready.length === 0) throw new UserError(`the graph has a cycle through ${[...record.nodes.keys()].filter((k) => !done.has(k)).join(', ')}: snnc runs feed-forward graphs only`);
    for (const k of ready) {
      order.push(k);
      done.add(k);
    }
  }
  return order;
}

function preprocessOf(metadata: NirGraphRecord['metadata']): Preprocess {
  const num = (k: string) => (metadata.get(k)?.kind === 'array' ? Array.from((metadata.get(k)!.value as NirArray).data) : undefined);
  const scale = num('input_scale');
  const mean = num('input_mean');
  const std = num('input_std');
  return scale && mean && std ? { scale: scale[0]!, mean, std } : DEFAULT_PREPROCESS;
}

export function importNir(record: NirGraphRecord): ImportedNir {
  const unsupported = [...record.nodes].filter(([, n]) => !RUNNABLE_TYPES.includes(n.type));
  if (unsupported.length > 0) {
    throw new UserError(
      `${unsupported.map(([k, n]) => `node ${k} (${n.type})`).join(', ')}: snnc's runtime cannot run ${unsupported.length === 1 ? 'it' : 'them'} (it runs ${RUNNABLE_TYPES.join(', ')})`,
    );
  }
  const inputs = [...record.nodes].filter(([, n]) => n.type === 'Input');
  const outputs = [...record.nodes].filter(([, n]) => n.type === 'Output');
  if (inputs.length !== 1 || outputs.length !== 1) throw new UserError(`the graph has ${inputs.length} Input and ${outputs.length} Output nodes; snnc runs one of each`);
  const dtEntry = record.metadata.get('dt_s');
  const dtS = dtEntry?.kind === 'array' ? dtEntry.value.data[0]! : 1;
  const log = [`NIR ${record.version}, ${record.nodes.size} nodes, ${record.edges.length} edges; dt = ${dtS} s per step${dtEntry ? ' (graph metadata dt_s)' : ' (no dt_s in the metadata: one step per time unit)'}`];

  const preds = new Map<string, string[]>([...record.nodes.keys()].map((k) => [k, []]));
  const succs = new Map<string, string[]>([...record.nodes.keys()].map((k) => [k, []]));
  for (const [a, b] of record.edges) {
    preds.get(b)?.push(a);
    succs.get(a)?.push(b);
  }
  const nodes: Node[] = [];
  const shapes = new Map<string, number[]>();
  const taken = new Set<string>(record.nodes.keys());
  const fresh = (base: string) => {
    let n = base;
    for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
    taken.add(n);
    return n;
  };
  const push = (node: Node, shape: number[]) => {
    nodes.push(node);
    shapes.set(node.output, shape);
    return node.output;
  };
  const affine = (name: string, input: string, scale: number): string => {
    const shape = shapes.get(input)!;
    const c = shape[0]!;
    return push({ name, op: 'affine', inputs: [input], output: name, scale: f32([c], new Array<number>(c).fill(scale)), shift: f32([c], new Array<number>(c).fill(0)) }, shape);
  };
  const neurons: ('if' | 'lif')[] = [];
  const [inputName, inputNode] = inputs[0]!;
  const inShape = Array.from(new Reader(inputName, inputNode).array('shape').data);
  const input = { name: inputName, shape: inShape };
  shapes.set(inputName, inShape);
  /** The value each NIR node's output is, in the IR. */
  const valueOf = new Map<string, string>([[inputName, inputName]]);
  let output = '';

  for (const name of topological(record)) {
    const n = record.nodes.get(name)!;
    if (n.type === 'Input') continue;
    const r = new Reader(name, n);
    const from = preds.get(name)!.map((p) => valueOf.get(p)!);
    if (from.length === 0) r.refuse('no incoming edge');
    // Several incoming edges: their sum.
    let x = from[0]!;
    for (const other of from.slice(1)) {
      const sum = fresh(`${name}_sum`);
      if (shapes.get(x)!.join() !== shapes.get(other)!.join()) r.refuse(`incoming edges of shapes [${shapes.get(x)!.join(',')}] and [${shapes.get(other)!.join(',')}] cannot be summed`);
      x = push({ name: sum, op: 'add', inputs: [x, other], output: sum }, shapes.get(x)!);
    }
    const shape = shapes.get(x)!;
    switch (n.type) {
      case 'Output':
        output = x;
        valueOf.set(name, x);
        continue;
      case 'Conv2d': {
        const w = r.array('weight');
        if (w.shape.length !== 4) r.refuse(`weight of shape [${w.shape.join(',')}], expected [Cout, Cin/groups, kH, kW]`);
        if (shape.length !== 3) r.refuse(`input of shape [${shape.join(',')}], expected [C, H, W]`);
        const [cOut, , kH, kW] = w.shape as [number, number, number, number];
        const strides = r.pair('stride', 1);
        const [pH, pW] = r.pair('padding', 0);
        const dilations = r.pair('dilation', 1);
        const group = r.int('groups', 1);
        const bias = r.has('bias') ? r.array('bias').data : new Float64Array(cOut);
        const pads: Pads = [pH, pW, pH, pW];
        const oH = windowOutput(shape[1]!, (kH - 1) * dilations[0] + 1, strides[0], pH, pH);
        const oW = windowOutput(shape[2]!, (kW - 1) * dilations[1] + 1, strides[1], pW, pW);
        valueOf.set(name, push({ name, op: 'conv', inputs: [x], output: name, weight: f32(w.shape, w.data), bias: f32([cOut], bias), strides, pads, dilations, group }, [cOut, oH, oW]));
        continue;
      }
      case 'Affine':
      case 'Linear': {
        const w = r.array('weight');
        if (w.shape.length !== 2) r.refuse(`weight of shape [${w.shape.join(',')}], expected [out, in]`);
        const bias = n.type === 'Affine' ? r.array('bias').data : new Float64Array(w.shape[0]!);
        valueOf.set(name, push({ name, op: 'dense', inputs: [x], output: name, weight: f32(w.shape, w.data), bias: f32([w.shape[0]!], bias) }, [w.shape[0]!]));
        continue;
      }
      case 'Scale': {
        const s = r.array('scale').data;
        const c = shape[0]!;
        const per = s.length === 1 ? 0 : s.length / c;
        const scale = Array.from({ length: c }, (_, k) => s[per === 0 ? 0 : k * per]!);
        if (per !== 0 && s.some((v, i) => v !== scale[Math.floor(i / per)])) r.refuse('scale differs within a channel; snnc scales per channel');
        valueOf.set(name, push({ name, op: 'affine', inputs: [x], output: name, scale: f32([c], scale), shift: f32([c], new Array<number>(c).fill(0)) }, shape));
        continue;
      }
      case 'AvgPool2d':
      case 'SumPool2d': {
        const kernel = r.pair('kernel_size', 1);
        const strides = r.pair('stride', kernel[0]);
        const [pH, pW] = r.pair('padding', 0);
        const out = [shape[0]!, windowOutput(shape[1]!, kernel[0], strides[0], pH, pH), windowOutput(shape[2]!, kernel[1], strides[1], pW, pW)];
        const pool = n.type === 'AvgPool2d' ? name : fresh(`${name}_mean`);
        push({ name: pool, op: 'avgpool', inputs: [x], output: pool, kernel, strides, pads: [pH, pW, pH, pW], ceilMode: false, countIncludePad: true }, out);
        valueOf.set(name, n.type === 'AvgPool2d' ? pool : affine(name, pool, kernel[0] * kernel[1]));
        continue;
      }
      case 'Flatten': {
        const start = r.int('start_dim', 0);
        const end = r.int('end_dim', -1);
        if ((end !== -1 && end !== shape.length - 1) || (start !== 0 && start !== -shape.length && start !== 1)) r.refuse(`start_dim ${start}, end_dim ${end}: snnc flattens the whole value (start_dim 0 or -${shape.length} in NIR's axes, or 1 in torch's)`);
        if (start === 1 && shape.length > 1) log.push(`Flatten ${name}: start_dim 1 read in torch's axes (batch first), as Norse and snnTorch write it`);
        valueOf.set(name, push({ name, op: 'flatten', inputs: [x], output: name }, [shape.reduce((a, b) => a * b, 1)]));
        continue;
      }
      case 'I':
      case 'LI': {
        const only = succs.get(name)!;
        if (only.length !== 1 || record.nodes.get(only[0]!)!.type !== 'Output') r.refuse('an integrator that does not feed the Output; snnc reads I and LI as the readout only');
        if (!(r.uniform('r') > 0)) r.refuse('r must be positive');
        if (n.type === 'LI') {
          if (r.uniform('v_leak', 0) !== 0) r.refuse('v_leak must be 0');
          log.push(`LI ${name}: read as the readout, which sums the current over steps (its leak, tau = ${r.uniform('tau') / dtS} steps, is dropped)`);
        }
        valueOf.set(name, x);
        continue;
      }
      case 'IF':
      case 'LIF':
      case 'CubaLIF': {
        const rValue = r.uniform('r');
        const vThreshold = r.uniform('v_threshold');
        const vReset = r.uniform('v_reset', 0);
        if (n.type !== 'IF' && r.uniform('v_leak', 0) !== 0) r.refuse("v_leak must be 0 (snnc's LIF rests at 0)");
        if (!(vThreshold > vReset)) r.refuse(`v_threshold ${vThreshold} is not above v_reset ${vReset}`);
        let gain = rValue * dtS;
        let tauSteps: number | undefined;
        if (n.type !== 'IF') {
          const tau = r.uniform(n.type === 'LIF' ? 'tau' : 'tau_mem');
          if (!(tau > 0)) r.refuse('tau must be positive');
          tauSteps = tau / dtS;
          gain = rValue * -Math.expm1(-1 / tauSteps);
          if (n.type === 'CubaLIF') {
            const tauSyn = r.uniform('tau_syn');
            if (tauSyn > dtS / 1000) r.refuse(`tau_syn = ${tauSyn} s is not negligible against dt = ${dtS} s: snnc has no synaptic current`);
            gain *= r.uniform('w_in', 1);
            log.push(`CubaLIF ${name}: tau_syn ${tauSyn} s <= dt / 1000, read as LIF`);
          }
        }
        const z = gain === 1 ? x : affine(fresh(`${name}_gain`), x, gain);
        const neuron: NeuronLayerParams = {
          model: n.type === 'IF' ? 'if' : 'lif',
          vThreshold: float32Above(vThreshold),
          vReset,
          reset: 'zero',
          vInitFraction: 0,
          tRefSteps: 0,
          ...(tauSteps !== undefined ? { tauSteps } : {}),
        };
        neurons.push(neuron.model);
        valueOf.set(name, push({ name, op: 'spike', inputs: [z], output: name, neuron, lambda: [1] }, shape));
        continue;
      }
    }
  }
  const snn: Graph = { name: 'nir', input, output, nodes };
  return { snn, ann: rateAnn(snn), preprocess: preprocessOf(record.metadata), neuron: neurons.includes('lif') ? 'lif' : 'if', log };
}

/** Each spiking layer as ReLU((z) / (theta - v_reset)) clipped at 1: the rate of an IF neuron at constant current z, at most one spike per step. */
function rateAnn(snn: Graph): Graph {
  const shapes = inferShapes(snn);
  const nodes = snn.nodes.flatMap((n): Node[] => {
    if (n.op !== 'spike') return [n];
    const span = n.neuron.vThreshold - n.neuron.vReset;
    const pre = `${n.name}_rate`;
    const c = shapes.get(n.output)![0]!;
    return [
      { name: pre, op: 'affine', inputs: n.inputs, output: pre, scale: tensor([c], new Float32Array(c).fill(1 / span)), shift: tensor([c], new Float32Array(c)) },
      { name: n.name, op: 'relu', inputs: [pre], output: n.output, ceiling: 1 },
    ];
  });
  return { ...snn, nodes };
}
