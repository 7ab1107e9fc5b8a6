import type { Tensor } from './tensor.js';

/**
 * snnc's graph IR: a small, closed set of ops in NCHW layout. Loaders (io/onnx, io/tfjs)
 * translate whatever their format says into these ops; passes rewrite graphs into new graphs;
 * runtimes execute them. Shapes never include the batch dimension.
 *
 * Every node has one output value; values are named by strings. Nodes are kept in a
 * topological order (verify() checks it).
 */
export type Pair = [number, number];
/** Spatial padding: [top, left, bottom, right], as ONNX orders pads for 2-D ops. */
export type Pads = [number, number, number, number];

interface NodeBase {
  name: string;
  inputs: string[];
  output: string;
}

/** 2-D convolution; weight [Cout, Cin/group, kH, kW], bias [Cout]. */
export interface ConvNode extends NodeBase {
  op: 'conv';
  weight: Tensor;
  bias: Tensor;
  strides: Pair;
  pads: Pads;
  dilations: Pair;
  group: number;
}

/** Fully connected layer y = W x + b; weight [out, in], bias [out]. Input must be 1-D. */
export interface DenseNode extends NodeBase {
  op: 'dense';
  weight: Tensor;
  bias: Tensor;
}

/** Per-channel affine map y[c] = scale[c] x[c] + shift[c] (an unfolded BatchNormalization). */
export interface AffineNode extends NodeBase {
  op: 'affine';
  scale: Tensor;
  shift: Tensor;
}

/** max(0, x), optionally min(ceiling, max(0, x)) (ReLU6 / Clip(0, c)). */
export interface ReluNode extends NodeBase {
  op: 'relu';
  ceiling?: number;
}

export interface PoolNode extends NodeBase {
  op: 'maxpool' | 'avgpool';
  kernel: Pair;
  strides: Pair;
  pads: Pads;
  ceilMode: boolean;
  /** avgpool only: whether padded cells count in the divisor. */
  countIncludePad: boolean;
}

export interface GlobalAvgPoolNode extends NodeBase {
  op: 'globalavgpool';
}

/** [C, H, W] -> [C*H*W] in C-order (channel slowest), as ONNX Flatten on NCHW. */
export interface FlattenNode extends NodeBase {
  op: 'flatten';
}

/** Element-wise sum of two values of the same shape (residual connections). */
export interface AddNode extends NodeBase {
  op: 'add';
}

/** Concatenation along the channel axis (axis 0 without batch). */
export interface ConcatNode extends NodeBase {
  op: 'concat';
}

/**
 * SNN only: a layer of integrate-and-fire neurons that replaces a ReLU. Its input is a
 * current per timestep, its output spikes (0/1). Neuron dynamics live in src/snn.
 */
export interface SpikeNode extends NodeBase {
  op: 'spike';
  neuron: NeuronLayerParams;
  /** The activation scale lambda of the ReLU this layer replaces (per channel, or one value). */
  lambda: number[];
  /** Per-channel offsets of v(0), in units of vThreshold, added to vInitFraction (potential calibration). */
  vInitShift?: number[];
}

/** Parameters of one spiking layer, in timesteps (dimensionless units: threshold 1 = lambda). */
export interface NeuronLayerParams {
  model: 'if' | 'lif';
  /** Firing threshold theta (membrane units). */
  vThreshold: number;
  /** Potential after a spike when resetting to a value; for subtraction, v -> v - (vThreshold - vReset). */
  vReset: number;
  reset: 'subtract' | 'zero';
  /** Initial membrane potential v(0), as a fraction of vThreshold. */
  vInitFraction: number;
  /** v(0) drawn uniformly in [0, vThreshold) per neuron and sample instead (vInitFraction is then its mean, 0.5). */
  vInitRandom?: boolean;
  /** Refractory pre-distortion of the input current (snn/predistort.ts). */
  predistort?: boolean;
  /** Absolute refractory period in timesteps: k steps without integration after each spike. */
  tRefSteps: number;
  /** Membrane time constant in timesteps (LIF only); IF has no leak. */
  tauSteps?: number;
  /**
   * Signed spikes (reset by subtraction, no refractory period): a neuron whose membrane falls
   * below vReset while its net spike count is positive emits a -1 spike and takes the charge
   * back (snn/neuron.ts).
   */
  signed?: boolean;
}

export type Node =
  | ConvNode
  | DenseNode
  | AffineNode
  | ReluNode
  | PoolNode
  | GlobalAvgPoolNode
  | FlattenNode
  | AddNode
  | ConcatNode
  | SpikeNode;

export type OpName = Node['op'];

/** A node before it is given its name and output value (what builders and passes describe). */
export type NodeSpec = Node extends unknown ? DistributiveOmit<Node, 'name' | 'output'> & { name?: string } : never;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface ValueInfo {
  name: string;
  /** Shape without the batch dimension, e.g. [1, 28, 28]. */
  shape: number[];
}

export interface Graph {
  name: string;
  input: ValueInfo;
  output: string;
  nodes: Node[];
}

/** Ops whose output is a linear (affine) function of their inputs: rescaled during conversion. */
export const PARAMETRIC_OPS: ReadonlySet<OpName> = new Set(['conv', 'dense', 'affine']);

export function isParametric(node: Node): node is ConvNode | DenseNode | AffineNode {
  return PARAMETRIC_OPS.has(node.op);
}

/** Map from value name to the nodes that read it. */
export function consumersOf(graph: Graph): Map<string, Node[]> {
  const map = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      const list = map.get(input);
      if (list) list.push(node);
      else map.set(input, [node]);
    }
  }
  return map;
}

/** Map from value name to the node that writes it. */
export function producersOf(graph: Graph): Map<string, Node> {
  const map = new Map<string, Node>();
  for (const node of graph.nodes) map.set(node.output, node);
  return map;
}

/**
 * Replaces every use of value `from` by `to` (inputs of nodes and the graph output). Returns
 * new node objects only where something changed; the input graph is not mutated.
 */
export function renameValue(graph: Graph, from: string, to: string): Graph {
  return {
    ...graph,
    output: graph.output === from ? to : graph.output,
    nodes: graph.nodes.map((n) =>
      n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((i) => (i === from ? to : i)) } : n,
    ),
  };
}
