import { UserError } from '../errors.js';
import type { Graph, Node, Pads, Pair } from './graph.js';
import { shapeString, sizeOf } from './tensor.js';

/**
 * Output length of a sliding window along one axis (ONNX Conv / Pool):
 *   out = floor_or_ceil((in + padBegin + padEnd - dilation (k - 1) - 1) / stride) + 1
 * With ceil mode the last window must still start inside the input or the leading pad
 * (the rule onnxruntime and PyTorch apply), otherwise it is dropped. In ceil mode a window
 * wider than the padded input still gives one output (ceil of a negative fraction is 0), as
 * onnxruntime computes it; in floor mode it gives none. test/shape-rules.test.ts checks this
 * against onnxruntime on generated cases.
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
  if (room < 0 && !ceilMode) return 0;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  if (out <= 0) return 0;
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
  expectWindow(node, kernel, strides, pads, dilations);
  const h = windowOutput(inShape[1]!, kernel[0], strides[0], pads[0], pads[2], dilations[0], ceilMode);
  const w = windowOutput(inShape[2]!, kernel[1], strides[1], pads[1], pads[3], dilations[1], ceilMode);
  if (h <= 0 || w <= 0) {
    throw new UserError(
      `node ${node.name} (${node.op}): kernel ${kernel.join('x')} does not fit input ${shapeString(inShape)} (output would be ${h}x${w})`,
    );
  }
  return [h, w];
}

/**
 * Every tensor shape that reaches a kernel (onnxruntime's or snnc's own) is checked here, also
 * the ones computed by constant folding: each dimension a whole number >= 1 (a zero-size or
 * negative kernel, or zero output channels, is refused before any session is built).
 */
function expectKernelDims(node: { name: string; op: string }, dims: readonly number[], rank: number, layout: string): void {
  if (dims.length !== rank || !dims.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new UserError(`node ${node.name} (${node.op}): weight shape ${shapeString(dims)} is not ${layout} with every dimension >= 1`);
  }
}

/** Window parameters of a pool or conv: kernel, strides, dilations >= 1, pads >= 0, all whole numbers. */
function expectWindow(node: { name: string; op: string }, kernel: readonly number[], strides: readonly number[], pads: readonly number[], dilations: readonly number[]): void {
  const whole = (v: readonly number[], min: number) => v.every((d) => Number.isSafeInteger(d) && d >= min);
  if (!whole(kernel, 1) || !whole(strides, 1) || !whole(dilations, 1) || !whole(pads, 0)) {
    throw new UserError(
      `node ${node.name} (${node.op}): kernel ${kernel.join('x')}, strides ${strides.join('x')}, dilations ${dilations.join('x')} must be whole numbers >= 1 and pads [${pads.join(',')}] >= 0`,
    );
  }
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
      expectKernelDims(node, node.weight.dims, 4, '[out channels, in channels / group, kH, kW]');
      const [cOut, cInPerGroup, kH, kW] = node.weight.dims as number[];
      if (!(Number.isSafeInteger(node.group) && node.group >= 1 && cOut! % node.group === 0)) {
        throw new UserError(`node ${node.name} (conv): group ${node.group} does not divide the ${cOut} output channels`);
      }
      if (x[0] !== cInPerGroup! * node.group) {
        throw new UserError(
          `node ${node.name} (conv): weight expects ${cInPerGroup! * node.group} input channels (${cInPerGroup} x group ${node.group}), input has ${x[0]}`,
        );
      }
      const [h, w] = spatial(node, x, [kH!, kW!], node.strides, node.pads, node.dilations, false);
      return [cOut!, h, w];
    }
    case 'dense': {
      expectKernelDims(node, node.weight.dims, 2, '[outputs, inputs]');
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
