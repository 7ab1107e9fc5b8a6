/**
 * snnc's linear and structural ops as NIR nodes. None of them involves time, so their
 * parameters are copied unchanged (the time convention in neuron.ts keeps currents in snnc's
 * units). Each op becomes one NIR node, or a short chain of them (`pieces`, in order).
 *
 *   conv           Conv2d (a grouped conv as the equivalent block-diagonal conv, groups 1:
 *                  nir.read's shape check reads Cin from the weight, so groups > 1 fails it)
 *   dense          Affine
 *   affine         Scale (no shift), else a diagonal 1x1 Conv2d ([C,H,W]) or Affine ([N])
 *   avgpool        AvgPool2d (NIR divides by the kernel area); with padding that snnc leaves
 *                  out of the divisor: SumPool2d, then Scale by 1 / (cells inside the input)
 *   globalavgpool  AvgPool2d over the whole plane
 *   maxpool        SumPool2d, a loss: NIR has no max-pool
 *   flatten        Flatten over the whole value, end_dim -1. start_dim counts NIR's axes
 *                  (shapes have no batch axis; nir's type inference flattens input_type from
 *                  start_dim), but Norse and snnTorch pass it to torch.nn.Flatten on a
 *                  batched tensor, and Sinabs adds 1 to it when it is >= 0. So by default
 *                  (`nir`) start_dim = -rank: NIR's first axis, counted from the end, which
 *                  is the first axis after the batch in all three. `zero`: 0 (NIR's axes
 *                  only); `torch`: 1 (torch's axes only).
 * NIR pads both sides of an axis equally and has no ceil mode: other geometries are refused.
 */
import { InternalError, UserError } from '../../errors.js';
import type { ConvNode, Node, Pads, Pair, PoolNode } from '../../ir/graph.js';
import { windowOutput } from '../../ir/shapes.js';
import { shapeString } from '../../ir/tensor.js';
import { count, f32, i64, i64Scalar, type NirNode } from './document.js';
import type { Translated } from './neuron.js';

export interface Pieces {
  /** suffix '' is the node named after the snnc node; helpers get a suffix. */
  pieces: { suffix: string; node: NirNode }[];
  losses: Translated['losses'];
}

const one = (node: NirNode): Pieces => ({ pieces: [{ suffix: '', node }], losses: [] });
const bare = (type: NirNode['type'], params: NirNode['params']): NirNode => ({ type, params, metadata: {} });

/** Symmetric [padH, padW] from snnc's [top, left, bottom, right], or a user error. */
function symmetricPads(node: Node, pads: Pads): Pair {
  const [t, l, b, r] = pads;
  if (t !== b || l !== r) {
    throw new UserError(`node ${node.name} (${node.op}): padding [${pads.join(',')}] (top,left,bottom,right) cannot be exported: NIR pads both sides of an axis equally`);
  }
  return [t, l];
}

function conv2d(weight: Float32Array, wDims: number[], bias: Float32Array, strides: Pair, pads: Pair, dilations: Pair, inShape: readonly number[]): NirNode {
  return bare('Conv2d', {
    weight: f32(wDims, weight),
    bias: f32([wDims[0]!], bias),
    stride: i64(strides),
    padding: i64(pads),
    dilation: i64(dilations),
    groups: i64Scalar(1),
    input_shape: i64(inShape.slice(1)),
  });
}

/** A grouped conv's weight [Cout, Cin/g, kH, kW] as the dense [Cout, Cin, kH, kW] it stands for (zeros across groups). */
export function ungroupedWeight(node: ConvNode): { dims: number[]; data: Float32Array } {
  const [cOut, cInPer, kH, kW] = node.weight.dims as [number, number, number, number];
  const g = node.group;
  const cIn = cInPer * g;
  const k = kH * kW;
  const data = new Float32Array(cOut * cIn * k);
  const outPer = cOut / g;
  for (let o = 0; o < cOut; o++) {
    const first = Math.floor(o / outPer) * cInPer;
    for (let i = 0; i < cInPer; i++) data.set(node.weight.data.subarray((o * cInPer + i) * k, (o * cInPer + i + 1) * k), (o * cIn + first + i) * k);
  }
  return { dims: [cOut, cIn, kH, kW], data };
}

/** Refuses ceil mode where it changes the output shape (NIR's pooling rounds down). */
function checkFloorShape(node: PoolNode, inShape: readonly number[], outShape: readonly number[], pads: Pair): void {
  const h = windowOutput(inShape[1]!, node.kernel[0], node.strides[0], pads[0], pads[0]);
  const w = windowOutput(inShape[2]!, node.kernel[1], node.strides[1], pads[1], pads[1]);
  if (h !== outShape[1] || w !== outShape[2]) {
    throw new UserError(`node ${node.name} (${node.op}): ceil mode gives ${shapeString(outShape)}, NIR's pooling rounds down to [${outShape[0]},${h},${w}]`);
  }
}

const pool = (type: 'SumPool2d' | 'AvgPool2d', kernel: Pair, strides: Pair, pads: Pair): NirNode =>
  bare(type, { kernel_size: i64(kernel), stride: i64(strides), padding: i64(pads) });

/** 1 / (window cells inside the input) per output position, [C, Ho, Wo]: the divisor snnc uses when padding does not count. */
function insideDivisors(node: PoolNode, inShape: readonly number[], outShape: readonly number[], pads: Pair): Float32Array {
  const [c, ho, wo] = outShape as [number, number, number];
  const inside = (o: number, axis: 0 | 1) => {
    const start = o * node.strides[axis] - pads[axis];
    return Math.min(start + node.kernel[axis], inShape[axis + 1]!) - Math.max(start, 0);
  };
  const plane = new Float32Array(ho * wo);
  for (let y = 0; y < ho; y++) for (let x = 0; x < wo; x++) plane[y * wo + x] = 1 / (inside(y, 0) * inside(x, 1));
  const out = new Float32Array(c * ho * wo);
  for (let k = 0; k < c; k++) out.set(plane, k * ho * wo);
  return out;
}

/** A linear op that copies input i into channels [offset, offset + C_i) of a concatenation with `total` channels. */
export function concatPart(inShape: readonly number[], offset: number, total: number): NirNode {
  const part = inShape[0]!;
  // Row offset + i of the [total, part] matrix (or [total, part, 1, 1] kernel) picks input i.
  const w = new Float32Array(total * part);
  for (let i = 0; i < part; i++) w[(offset + i) * part + i] = 1;
  if (inShape.length === 1) return bare('Linear', { weight: f32([total, part], w) });
  return conv2d(w, [total, part, 1, 1], new Float32Array(total), [1, 1], [0, 0], [1, 1], inShape);
}

/**
 * How Flatten's start_dim is written: `nir`, -rank (NIR's axis 0 counted from the end: the
 * whole sample in NIR's axes and in torch's batched ones); `zero`, 0 (NIR's axes, no batch);
 * `torch`, 1 (batch axis 0).
 */
export type FlattenConvention = 'nir' | 'zero' | 'torch';

export function flattenStartDim(convention: FlattenConvention, rank: number): number {
  return convention === 'nir' ? -rank : convention === 'zero' ? 0 : 1;
}

export function layerToNir(node: Node, inShape: readonly number[], outShape: readonly number[], flatten: FlattenConvention = 'nir'): Pieces {
  switch (node.op) {
    case 'conv': {
      const w = node.group === 1 ? { dims: [...node.weight.dims], data: node.weight.data } : ungroupedWeight(node);
      const nir = conv2d(w.data, w.dims, node.bias.data, node.strides, symmetricPads(node, node.pads), node.dilations, inShape);
      if (node.group !== 1) nir.metadata.snnc_group = i64Scalar(node.group);
      return one(nir);
    }
    case 'dense':
      return one(bare('Affine', { weight: f32(node.weight.dims, node.weight.data), bias: f32(node.bias.dims, node.bias.data) }));
    case 'affine': {
      const channels = node.scale.data.length;
      const per = count(inShape) / channels;
      if (node.shift.data.every((b) => b === 0)) {
        const s = new Float32Array(count(inShape));
        for (let c = 0; c < channels; c++) s.fill(node.scale.data[c]!, c * per, (c + 1) * per);
        return one(bare('Scale', { scale: f32(inShape, s) }));
      }
      const diag = new Float32Array(channels * channels);
      for (let c = 0; c < channels; c++) diag[c * channels + c] = node.scale.data[c]!;
      if (inShape.length === 1) return one(bare('Affine', { weight: f32([channels, channels], diag), bias: f32([channels], node.shift.data) }));
      return one(conv2d(diag, [channels, channels, 1, 1], node.shift.data, [1, 1], [0, 0], [1, 1], inShape));
    }
    case 'avgpool': {
      const pads = symmetricPads(node, node.pads);
      checkFloorShape(node, inShape, outShape, pads);
      if (node.countIncludePad || (pads[0] === 0 && pads[1] === 0)) return one(pool('AvgPool2d', node.kernel, node.strides, pads));
      return {
        pieces: [
          { suffix: '', node: pool('SumPool2d', node.kernel, node.strides, pads) },
          { suffix: '_divisor', node: bare('Scale', { scale: f32(outShape, insideDivisors(node, inShape, outShape, pads)) }) },
        ],
        losses: [],
      };
    }
    case 'globalavgpool': {
      const plane: Pair = [inShape[1]!, inShape[2]!];
      return one(pool('AvgPool2d', plane, plane, [0, 0]));
    }
    case 'maxpool': {
      const pads = symmetricPads(node, node.pads);
      checkFloorShape(node, inShape, outShape, pads);
      return {
        ...one(pool('SumPool2d', node.kernel, node.strides, pads)),
        losses: [
          {
            kind: 'maxpool',
            message:
              "max pooling has no NIR node: exported as SumPool2d, which passes the sum of the window's inputs, " +
              "where snnc's spiking max-pool passes the spikes of the input with the highest count so far",
          },
        ],
      };
    }
    case 'flatten':
      return one(bare('Flatten', { start_dim: i64Scalar(flattenStartDim(flatten, inShape.length)), end_dim: i64Scalar(-1), input_type: i64(inShape) }));
    case 'relu':
    case 'spike':
    case 'add':
    case 'concat':
      throw new InternalError(`layerToNir called on ${node.op} node ${node.name}`);
  }
}
