/** ONNX Conv, Gemm and MatMul -> IR conv / dense. */
import type { Pads, Pair } from '../../../ir/graph.js';
import { tensor } from '../../../ir/tensor.js';
import type { NodeView } from '../context.js';
import type { ConstTensor } from '../proto.js';
import { perChannel } from './broadcast.js';
import { addPads, paddedShape } from './pad.js';

/** Padding of one axis for auto_pad SAME_*: the output is ceil(in / stride). */
function samePads(inLen: number, kernel: number, stride: number, dilation: number, lower: boolean): [number, number] {
  const out = Math.ceil(inLen / stride);
  const total = Math.max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - inLen);
  const small = Math.floor(total / 2);
  return lower ? [total - small, small] : [small, total - small];
}

/** Resolves ONNX pads / auto_pad of a 2-D window op into [top, left, bottom, right]. */
export function windowPads(n: NodeView, inShape: readonly number[], kernel: Pair, strides: Pair, dilations: Pair): Pads {
  const autoPad = n.string('auto_pad', 'NOTSET');
  switch (autoPad) {
    case 'NOTSET': {
      const pads = n.ints('pads', [0, 0, 0, 0]);
      if (pads.length !== 4) n.fail(`expected 4 pads for a 2-D op, got [${pads.join(',')}]`);
      return pads as Pads;
    }
    case 'VALID':
      return [0, 0, 0, 0];
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const lower = autoPad === 'SAME_LOWER';
      const [top, bottom] = samePads(inShape[1]!, kernel[0], strides[0], dilations[0], lower);
      const [left, right] = samePads(inShape[2]!, kernel[1], strides[1], dilations[1], lower);
      return [top, left, bottom, right];
    }
    default:
      n.fail(`auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  }
}

export function pair(n: NodeView, attr: string, values: number[]): Pair {
  if (values.length !== 2) n.fail(`attribute ${attr} must have 2 values for a 2-D op, got [${values.join(',')}]`);
  return [values[0]!, values[1]!];
}

function floatTensor(n: NodeView, t: ConstTensor, what: string): Float32Array {
  if (t.kind !== 'float') n.fail(`${what} must be a float tensor`);
  return t.data as Float32Array;
}

export function conv(n: NodeView): void {
  const { name: x, pads: extra, by: padNode } = n.paddedInput(0);
  const inShape = n.shapeOf(x);
  if (inShape.length !== 3) {
    n.unsupported(`only 2-D convolution on [N,C,H,W] is supported, input has rank ${inShape.length + 1}`);
    return;
  }
  const w = n.constInput(1, 'weight');
  if (w.dims.length !== 4) n.fail(`weight must be [Cout,Cin/group,kH,kW], got [${w.dims.join(',')}]`);
  const cOut = w.dims[0]!;
  const b = n.input(2);
  let bias = new Float32Array(cOut);
  if (b) {
    if (b.kind !== 'const') n.refuse('bias (input 2) must be a constant; it is computed at run time');
    bias = Float32Array.from(floatTensor(n, b.tensor, 'bias'));
    if (bias.length !== cOut) n.fail(`bias has ${bias.length} values for ${cOut} output channels`);
  }
  const kernel = pair(n, 'kernel_shape', n.ints('kernel_shape', w.dims.slice(2)));
  if (kernel[0] !== w.dims[2] || kernel[1] !== w.dims[3]) {
    n.fail(`kernel_shape [${kernel.join(',')}] does not match weight [${w.dims.join(',')}]`);
  }
  const strides = pair(n, 'strides', n.ints('strides', [1, 1]));
  const dilations = pair(n, 'dilations', n.ints('dilations', [1, 1]));
  // A preceding zero Pad widens the input; auto_pad sizes the conv's own pads on that wider input.
  const pads = addPads(windowPads(n, paddedShape(inShape, extra), kernel, strides, dilations), extra);
  if (padNode) n.note(`folded Pad '${padNode}' into its pads, now [${pads.join(',')}]`);
  n.emit({
    op: 'conv',
    inputs: [x],
    weight: tensor(w.dims, floatTensor(n, w, 'weight')),
    bias: tensor([cOut], bias),
    strides,
    pads,
    dilations,
    group: n.int('group', 1),
  });
}

/** Transposes a row-major [rows, cols] matrix. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/**
 * Gemm: Y = alpha A' B' + beta C, with A the data [N, K] (one sample per row), B a constant
 * matrix and C a constant broadcasting to one value per output. As a dense layer:
 *   W = alpha B'^T  ([out, K]),   b = beta C
 */
export function gemm(n: NodeView): void {
  const a = n.input(0);
  const bIn = n.input(1);
  if (a?.kind !== 'dynamic' || bIn?.kind !== 'const') {
    n.unsupported('only data A [N,K] times a constant B is supported (the data must be the first input)');
    return;
  }
  if (n.int('transA', 0) !== 0) {
    n.unsupported('transA=1 transposes the data input: its rows would no longer be the samples of the batch');
    return;
  }
  const inShape = n.shapeOf(a.name);
  if (inShape.length !== 1) n.fail(`input must be [N,K], got [N,${inShape.join(',')}]`);
  const bT = bIn.tensor;
  if (bT.dims.length !== 2) n.fail(`B must be rank 2, got [${bT.dims.join(',')}]`);
  const transB = n.int('transB', 0) !== 0;
  const [rows, cols] = bT.dims as [number, number];
  const [kIn, out] = transB ? [cols, rows] : [rows, cols];
  if (kIn !== inShape[0]) n.fail(`B expects ${kIn} input features, input has ${inShape[0]}`);
  const bData = floatTensor(n, bT, 'B');
  const weight = transB ? Float32Array.from(bData) : transpose(bData, rows, cols);
  const alpha = n.float('alpha', 1);
  if (alpha !== 1) for (let i = 0; i < weight.length; i++) weight[i]! *= alpha;
  const bias = new Float32Array(out);
  const c = n.input(2);
  if (c) {
    if (c.kind !== 'const') n.refuse('C (input 2) must be a constant; it is computed at run time');
    const perOut = perChannel(c.tensor, [out]);
    if (!perOut) {
      n.unsupported(`C of shape [${c.tensor.dims.join(',')}] differs between samples; only a bias broadcasting to one value per output (${out}) is supported`);
      return;
    }
    const beta = n.float('beta', 1);
    for (let i = 0; i < out; i++) bias[i] = beta * perOut[i]!;
  }
  if (!transB) n.note(`B [${rows},${cols}] transposed to a dense weight [${out},${kIn}]`);
  n.emit({ op: 'dense', inputs: [a.name], weight: tensor([out, kIn], weight), bias: tensor([out], bias) });
}

/** MatMul of data [N, K] by a constant [K, M]: a dense layer without bias (a following Add folds in). */
export function matmul(n: NodeView): void {
  const a = n.input(0);
  const b = n.input(1);
  if (a?.kind !== 'dynamic' || b?.kind !== 'const') {
    n.unsupported('only data [N,K] times a constant matrix [K,M] is supported');
    return;
  }
  const inShape = n.shapeOf(a.name);
  if (inShape.length !== 1 || b.tensor.dims.length !== 2) {
    n.unsupported(`only [N,K] x [K,M] is supported, got [N,${inShape.join(',')}] x [${b.tensor.dims.join(',')}]`);
    return;
  }
  const [k, m] = b.tensor.dims as [number, number];
  if (k !== inShape[0]) n.fail(`constant has ${k} rows, input has ${inShape[0]} features`);
  const weight = transpose(floatTensor(n, b.tensor, 'B'), k, m);
  n.note(`constant [${k},${m}] transposed to a dense weight [${m},${k}]`);
  n.emit({ op: 'dense', inputs: [a.name], weight: tensor([m, k], weight), bias: tensor([m]) });
}
