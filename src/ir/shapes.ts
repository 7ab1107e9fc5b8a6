import { UserError } from '../errors.js';
import type { Graph, Node, Pads, Pair } from './graph.js';
import { shapeString, sizeOf } from './tensor.js';

/**
 * Output length of a sliding window along one axis (ONNX Conv / Pool):
 *   out = floor_or_ceil((in + padBegin + padEnd - dilation (k - 1) - 1) / stride) + 1
 * With ceil mode the last window must still start inside the input or the leading pad
 * (the rule onnxruntime and PyTorch apply), otherwise it is dropped.
 */
export function windowOutput(
  inLen: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation = 1,
  ceilMode = false,
): number {
  const span = dilation * (kernel - 1) + 1;
  const room = inLen + padBegin + padEnd - span;
  if (room < 0) return 0;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= inLen + padBegin) out -= 1;
  return out;
}

function spatial(
  node: { name: string; op: string },
  inShape: readonly number[],
  kernel: Pair,
  strides: Pair,
  pads: Pads,
  dilations: Pair,
  ceilMode: boolean,
): Pair {
  const h = windowOutput(inShape[1]!, kernel[0], strides[0], pads[0], pads[2], dilations[0], ceilMode);
  const w = windowOutput(inShape[2]!, kernel[1], strides[1], pads[1], pads[3], dilations[1], ceilMode);
  if (h <= 0 || w <= 0) {
    throw new UserError(
      `node ${node.name} (${node.op}): kernel ${kernel.join('x')} does not fit input ${shapeString(inShape)} (output would be ${h}x${w})`,
    );
  }
  return [h, w];
}

function expectRank(node: Node, shape: readonly number[], rank: number): void {
  if (shape.length !== rank) {
    throw new UserError(`node ${node.name} (${node.op}): expected a rank-${rank} input (without batch), got ${shapeString(shape)}`);
  }
}

/** Shape (without batch) of a node's output given the shapes of its inputs. */
export function outputShape(node: Node, inputs: readonly (readonly number[])[]): number[] {
  const x = inputs[0]!;
  switch (node.op) {
    case 'conv': {
      expectRank(node, x, 3);
      const [cOut, cInPerGroup, kH, kW] = node.weight.dims as number[];
      if (x[0] !== cInPerGroup! * node.group) {
        throw new UserError(
          `node ${node.name} (conv): weight expects ${cInPerGroup! * node.group} input channels (${cInPerGroup} x group ${node.group}), input has ${x[0]}`,
        );
      }
      const [h, w] = spatial(node, x, [kH!, kW!], node.strides, node.pads, node.dilations, false);
      return [cOut!, h, w];
    }
    case 'dense': {
      const n = sizeOf(x);
      if (x.length !== 1 || node.weight.dims[1] !== n) {
        throw new UserError(`node ${node.name} (dense): weight expects [${node.weight.dims[1]}] inputs, got ${shapeString(x)}`);
      }
      return [node.weight.dims[0]!];
    }
    case 'maxpool':
    case 'avgpool': {
      expectRank(node, x, 3);
      const [h, w] = spatial(node, x, node.kernel, node.strides, node.pads, [1, 1], node.ceilMode);
      return [x[0]!, h, w];
    }
    case 'globalavgpool':
      expectRank(node, x, 3);
      return [x[0]!, 1, 1];
    case 'flatten':
      return [sizeOf(x)];
    case 'add': {
      const y = inputs[1]!;
      if (shapeString(x) !== shapeString(y)) {
        throw new UserError(`node ${node.name} (add): inputs must have equal shapes, got ${shapeString(x)} and ${shapeString(y)}`);
      }
      return [...x];
    }
    case 'concat': {
      const rest = x.slice(1).join(',');
      let channels = 0;
      for (const s of inputs) {
        if (s.slice(1).join(',') !== rest) {
          throw new UserError(`node ${node.name} (concat): inputs differ outside the channel axis: ${inputs.map(shapeString).join(' vs ')}`);
        }
        channels += s[0]!;
      }
      return [channels, ...x.slice(1)];
    }
    case 'affine':
      if (node.scale.data.length !== x[0]) {
        throw new UserError(`node ${node.name} (affine): ${node.scale.data.length} channel scales for an input with ${x[0]} channels`);
      }
      return [...x];
    case 'relu':
    case 'spike':
      return [...x];
  }
}

/** Shapes (without batch) of every value of the graph. */
export function inferShapes(graph: Graph): Map<string, number[]> {
  const shapes = new Map<string, number[]>([[graph.input.name, [...graph.input.shape]]]);
  for (const node of graph.nodes) {
    const inputShapes = node.inputs.map((name) => {
      const s = shapes.get(name);
      if (!s) throw new UserError(`node ${node.name} (${node.op}): input '${name}' is not produced by any earlier node`);
      return s;
    });
    shapes.set(node.output, outputShape(node, inputShapes));
  }
  return shapes;
}
