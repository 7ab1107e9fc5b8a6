import type { Graph, Node } from './graph.js';
import { inferShapes } from './shapes.js';
import { sizeOf } from './tensor.js';

export interface NodeStats {
  name: string;
  op: Node['op'];
  inputs: string[];
  outputShape: number[];
  params: number;
  /** Multiply-accumulates of one ANN inference of this node, per image. Pooling and ReLU count 0. */
  macs: number;
}

/** Multiply-accumulates per image of a node with the given output shape. */
export function macsOf(node: Node, outShape: readonly number[]): number {
  switch (node.op) {
    case 'conv': {
      const [, cInPerGroup, kH, kW] = node.weight.dims as number[];
      return sizeOf(outShape) * cInPerGroup! * kH! * kW!;
    }
    case 'dense':
      return node.weight.data.length;
    case 'affine':
      return sizeOf(outShape);
    default:
      return 0;
  }
}

export function paramsOf(node: Node): number {
  switch (node.op) {
    case 'conv':
    case 'dense':
      return node.weight.data.length + node.bias.data.length;
    case 'affine':
      return node.scale.data.length + node.shift.data.length;
    default:
      return 0;
  }
}

export function graphStats(graph: Graph): NodeStats[] {
  const shapes = inferShapes(graph);
  return graph.nodes.map((node) => {
    const outputShape = shapes.get(node.output)!;
    return { name: node.name, op: node.op, inputs: node.inputs, outputShape, params: paramsOf(node), macs: macsOf(node, outputShape) };
  });
}
