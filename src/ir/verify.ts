import { InternalError } from '../errors.js';
import type { Graph, Node, OpName } from './graph.js';
import { inferShapes } from './shapes.js';
import { firstNonFinite, sizeOf } from './tensor.js';

/**
 * The IR's validity rules, as data. verify() runs them; tests run it after every pass.
 * Each rule returns a problem description or null.
 */
interface OpRule {
  arity: [min: number, max: number];
  check?: (node: never) => string | null;
}

const finite = (name: string, data: Float32Array): string | null => {
  const i = firstNonFinite(data);
  return i < 0 ? null : `${name}[${i}] is ${data[i]}`;
};

const RULES: Record<OpName, OpRule> = {
  conv: {
    arity: [1, 1],
    check: (n: Extract<Node, { op: 'conv' }>) =>
      n.weight.dims.length !== 4
        ? `weight must be rank 4, got [${n.weight.dims}]`
        : n.bias.data.length !== n.weight.dims[0]
          ? `bias has ${n.bias.data.length} values for ${n.weight.dims[0]} output channels`
          : n.group < 1 || n.weight.dims[0]! % n.group !== 0
            ? `group ${n.group} does not divide ${n.weight.dims[0]} output channels`
            : n.strides.some((s) => s < 1) || n.dilations.some((d) => d < 1) || n.pads.some((p) => p < 0)
              ? 'strides and dilations must be >= 1, pads >= 0'
              : (finite('weight', n.weight.data) ?? finite('bias', n.bias.data)),
  },
  dense: {
    arity: [1, 1],
    check: (n: Extract<Node, { op: 'dense' }>) =>
      n.weight.dims.length !== 2
        ? `weight must be rank 2, got [${n.weight.dims}]`
        : n.bias.data.length !== n.weight.dims[0]
          ? `bias has ${n.bias.data.length} values for ${n.weight.dims[0]} outputs`
          : (finite('weight', n.weight.data) ?? finite('bias', n.bias.data)),
  },
  affine: {
    arity: [1, 1],
    check: (n: Extract<Node, { op: 'affine' }>) =>
      n.scale.data.length !== n.shift.data.length
        ? 'scale and shift differ in length'
        : (finite('scale', n.scale.data) ?? finite('shift', n.shift.data)),
  },
  relu: {
    arity: [1, 1],
    check: (n: Extract<Node, { op: 'relu' }>) =>
      n.ceiling !== undefined && !(n.ceiling > 0) ? `ceiling must be > 0, got ${n.ceiling}` : null,
  },
  maxpool: { arity: [1, 1], check: (n: Extract<Node, { op: 'maxpool' }>) => poolProblem(n) },
  avgpool: { arity: [1, 1], check: (n: Extract<Node, { op: 'avgpool' }>) => poolProblem(n) },
  globalavgpool: { arity: [1, 1] },
  flatten: { arity: [1, 1] },
  add: { arity: [2, 2] },
  concat: { arity: [1, Infinity] },
  spike: {
    arity: [1, 1],
    check: (n: Extract<Node, { op: 'spike' }>) =>
      !(n.neuron.vThreshold > 0)
        ? `vThreshold must be > 0, got ${n.neuron.vThreshold}`
        : !Number.isInteger(n.neuron.tRefSteps) || n.neuron.tRefSteps < 0
          ? `tRefSteps must be a non-negative integer, got ${n.neuron.tRefSteps}`
          : n.neuron.model === 'lif' && !(n.neuron.tauSteps! > 0)
            ? `LIF needs tauSteps > 0, got ${n.neuron.tauSteps}`
            : null,
  },
};

function poolProblem(n: Extract<Node, { op: 'maxpool' | 'avgpool' }>): string | null {
  if (n.kernel.some((k) => k < 1) || n.strides.some((s) => s < 1)) return 'kernel and strides must be >= 1';
  if (n.pads.some((p) => p < 0)) return 'pads must be >= 0';
  // A window made only of padding has no input to pool (onnxruntime refuses it too).
  if (n.pads.some((p, i) => p >= n.kernel[i % 2]!)) return `pads [${n.pads}] must be smaller than the kernel ${n.kernel.join('x')}`;
  return null;
}

/** All problems of a graph, empty when valid. */
export function verify(graph: Graph): string[] {
  const problems: string[] = [];
  const written = new Set<string>([graph.input.name]);
  const names = new Set<string>();
  if (graph.input.shape.some((d) => !Number.isInteger(d) || d < 1)) {
    problems.push(`input ${graph.input.name}: shape [${graph.input.shape}] must be positive integers`);
  }
  for (const node of graph.nodes) {
    const where = `node ${node.name} (${node.op})`;
    if (names.has(node.name)) problems.push(`${where}: duplicate node name`);
    names.add(node.name);
    const rule = RULES[node.op];
    if (!rule) {
      problems.push(`${where}: unknown op`);
      continue;
    }
    const [min, max] = rule.arity;
    if (node.inputs.length < min || node.inputs.length > max) {
      problems.push(`${where}: expected ${min}..${max} inputs, got ${node.inputs.length}`);
    }
    for (const input of node.inputs) {
      if (!written.has(input)) problems.push(`${where}: input '${input}' is not written by an earlier node`);
    }
    if (written.has(node.output)) problems.push(`${where}: output '${node.output}' is written twice`);
    written.add(node.output);
    const problem = rule.check?.(node as never);
    if (problem) problems.push(`${where}: ${problem}`);
  }
  if (!written.has(graph.output)) problems.push(`graph output '${graph.output}' is not written by any node`);
  if (problems.length === 0) {
    try {
      const shapes = inferShapes(graph);
      if (sizeOf(shapes.get(graph.output)!) < 1) problems.push('graph output is empty');
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

/** Throws (as an internal error) when the graph is invalid: passes must never produce one. */
export function assertValid(graph: Graph, stage: string): void {
  const problems = verify(graph);
  if (problems.length > 0) throw new InternalError(`invalid graph after ${stage}:\n  ${problems.join('\n  ')}`);
}
