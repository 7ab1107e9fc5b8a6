/**
 * Slice and channel Pad on data tensors, as exact selection convolutions.
 *
 * The IR has no slicing op: a Slice of [N, C, H, W] with begin b and positive step s per axis
 * picks y[o, i, j] = x[b_c + o s_c, b_h + i s_h, b_w + j s_w], which is a convolution with a
 * (b_h + 1) x (b_w + 1) kernel, strides (s_h, s_w), no padding, bias 0 and one weight 1 per
 * output channel (at input channel b_c + o s_c, tap (b_h, b_w)). Its output has
 * floor((H - 1 - b_h) / s_h) + 1 = ceil((H - b_h) / s_h) rows: the slice must run to the end
 * of each spatial axis (or stop where that gives the same count). PyTorch writes x[:, :, ::2, ::2]
 * (the "option A" shortcut of CIFAR ResNets) as such a Slice.
 *
 * A zero Pad of the channel axis (that shortcut's F.pad(..., (0, 0, 0, 0, p, p))) adds output
 * channels whose weights and bias are zero: it is folded into the convolution that computes its
 * input when nothing else reads that, else emitted as a 1x1 identity convolution.
 * Both are exact: every output is one input value times 1, or 0.
 */
import type { ConvNode } from '../../../ir/graph.js';
import { tensor } from '../../../ir/tensor.js';
import type { NodeView } from '../context.js';
import { checkValueSize } from '../../graph-checks.js';
import { slice as constSlice } from './constfold.js';

/** y[o, i, j] = x[channels[o], begin[0] + i step[0], begin[1] + j step[1]]. */
interface Selection {
  input: string;
  channels: number[];
  begin: [number, number];
  step: [number, number];
}

/**
 * Largest weight tensor a selection convolution may have (values). Its size comes from the
 * file (a Slice's begin widens the kernel, a Pad's count adds rows): refused beyond what any
 * real network's shortcut needs, before anything is allocated.
 */
export const MAX_SELECTION_WEIGHTS = 1 << 24;

function checkSelectionSize(n: NodeView, dims: readonly number[], what: string): void {
  const count = dims.reduce((a, b) => a * b, 1);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0) || !(count <= MAX_SELECTION_WEIGHTS)) {
    n.refuse(`${what} would need a selection convolution with weights [${dims.join(',')}]; snnc builds them up to ${MAX_SELECTION_WEIGHTS} values`);
  }
}

/** The selection convolutions emitted during this import, to compose consecutive Slices. */
const SELECTIONS = new WeakMap<object, Selection>();

/** Kernel (begin_h + 1) x (begin_w + 1), one weight 1 per output channel at (channel, begin). */
function selectionConv(sel: Selection, inChannels: number): Omit<ConvNode, 'name' | 'output'> {
  const [kh, kw] = [sel.begin[0] + 1, sel.begin[1] + 1];
  const weight = new Float32Array(sel.channels.length * inChannels * kh * kw);
  sel.channels.forEach((c, o) => (weight[((o * inChannels + c) * kh + sel.begin[0]) * kw + sel.begin[1]] = 1));
  return {
    op: 'conv',
    inputs: [sel.input],
    weight: tensor([sel.channels.length, inChannels, kh, kw], weight),
    bias: tensor([sel.channels.length]),
    strides: sel.step,
    pads: [0, 0, 0, 0],
    dilations: [1, 1],
    group: 1,
  };
}

/** Begin, step and output length of one axis, with ONNX's clamping of starts and ends. */
function axisRange(n: NodeView, len: number, start: number, end: number, step: number): { begin: number; step: number; count: number } {
  if (step <= 0) n.refuse(`Slice with step ${step} on a data tensor: only positive steps are supported`);
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + len : v, 0), len);
  const begin = clamp(start);
  const count = Math.max(0, Math.ceil((clamp(end) - begin) / step));
  return { begin, step, count };
}

/** Slice: of constants folded (constfold.ts), of data an exact selection convolution. */
export function slice(n: NodeView): void {
  const v = n.input(0);
  if (!v) n.fail('missing data input');
  if (v.kind === 'const') {
    constSlice(n);
    return;
  }
  const x = n.dynamicInput(0);
  const shape = n.shapeOf(x);
  if (shape.length !== 3) n.refuse(`Slice of a rank-${shape.length + 1} data tensor: only [N,C,H,W] is supported`);
  if (n.ctx.opset < 10) n.refuse('Slice of a data tensor before opset 10 is not supported');
  const starts = Array.from(n.constInput(1, 'starts').data);
  const ends = Array.from(n.constInput(2, 'ends').data);
  const axes = n.input(3) ? Array.from(n.constInput(3, 'axes').data, (a) => (a < 0 ? a + 4 : a)) : starts.map((_, i) => i);
  const steps = n.input(4) ? Array.from(n.constInput(4, 'steps').data) : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    n.fail(`starts, ends, axes and steps must have the same length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
  }
  // Per non-batch axis (channel, row, column): identity unless the node slices it.
  const ranges = shape.map((len) => ({ begin: 0, step: 1, count: len }));
  axes.forEach((axis, j) => {
    if (axis === 0) {
      const r = axisRange(n, 2 ** 31, starts[j]!, ends[j]!, steps[j]!);
      if (r.begin !== 0 || r.step !== 1 || ends[j]! < 2 ** 31 - 1) n.refuse('Slice of the batch axis is not supported');
      return;
    }
    if (!(axis >= 1 && axis <= 3)) n.fail(`axis ${axis} is out of range for rank 4`);
    ranges[axis - 1] = axisRange(n, shape[axis - 1]!, starts[j]!, ends[j]!, steps[j]!);
  });
  const [c, h, w] = ranges as [(typeof ranges)[0], (typeof ranges)[0], (typeof ranges)[0]];
  if (c.count === 0 || h.count === 0 || w.count === 0) n.refuse('Slice gives an empty tensor');
  for (const [r, len, what] of [[h, shape[1]!, 'rows'], [w, shape[2]!, 'columns']] as const) {
    if (Math.floor((len - 1 - r.begin) / r.step) + 1 !== r.count) {
      n.refuse(`Slice of ${what} stops before the end of the axis; only slices that run to the end are supported`);
    }
  }
  if (c.begin === 0 && c.step === 1 && c.count === shape[0] && h.step === 1 && w.step === 1 && h.begin === 0 && w.begin === 0) {
    n.alias(0, { kind: 'dynamic', name: x });
    n.note('removed (selects the whole tensor)');
    return;
  }
  const sel: Selection = {
    input: x,
    channels: Array.from({ length: c.count }, (_, o) => c.begin + o * c.step),
    begin: [h.begin, w.begin],
    step: [h.step, w.step],
  };
  // Consecutive Slices (PyTorch writes x[:, :, ::2, ::2] as one Slice per axis) compose into one selection.
  const producer = n.ctx.producerOf(x);
  const earlier = producer && SELECTIONS.get(producer);
  if (producer && earlier && onlyReader(n, x)) {
    const [h0, w0] = n.shapeOf(earlier.input).slice(1) as [number, number];
    const composed: Selection = {
      input: earlier.input,
      channels: sel.channels.map((k) => earlier.channels[k]!),
      begin: [earlier.begin[0] + sel.begin[0] * earlier.step[0], earlier.begin[1] + sel.begin[1] * earlier.step[1]],
      step: [earlier.step[0] * sel.step[0], earlier.step[1] * sel.step[1]],
    };
    const rows = Math.floor((h0 - 1 - composed.begin[0]) / composed.step[0]) + 1;
    const cols = Math.floor((w0 - 1 - composed.begin[1]) / composed.step[1]) + 1;
    if (rows === h.count && cols === w.count) {
      checkSelectionSize(n, [composed.channels.length, n.shapeOf(earlier.input)[0]!, composed.begin[0] + 1, composed.begin[1] + 1], 'this Slice');
      const node = { ...selectionConv(composed, n.shapeOf(earlier.input)[0]!), name: producer.name, output: producer.output };
      SELECTIONS.set(node, composed);
      n.ctx.nodes[n.ctx.nodes.indexOf(producer)] = node;
      n.ctx.shapes.set(x, [c.count, h.count, w.count]);
      n.alias(0, { kind: 'dynamic', name: x });
      n.note(`composed with Slice '${producer.name}' into one selection (begin ${composed.begin.join(',')}, strides ${composed.step.join('x')})`);
      return;
    }
  }
  checkSelectionSize(n, [sel.channels.length, shape[0]!, sel.begin[0] + 1, sel.begin[1] + 1], 'this Slice');
  const out = n.emit(selectionConv(sel, shape[0]!));
  SELECTIONS.set(n.ctx.producerOf(out)!, sel);
  n.note(`read as a selection convolution (strides ${h.step}x${w.step}, begin ${h.begin},${w.begin}, channels ${c.begin}+${c.step}k)`);
}

/** Whether the Slice or Pad being built is the only reader of IR value `x`. */
function onlyReader(n: NodeView, x: string): boolean {
  return (n.ctx.readers.get(x) ?? 0) === 1 && !n.ctx.graphOutputs.has(x);
}

/**
 * Zero padding of the channel axis of data `x` by `before` and `after` channels. Folded into the
 * convolution producing `x` when this Pad is its only reader, else a 1x1 identity convolution.
 */
export function padChannels(n: NodeView, x: string, before: number, after: number): void {
  const channels = n.shapeOf(x)[0]!;
  const out = before + channels + after;
  if (![before, after].every((p) => Number.isSafeInteger(p) && p >= 0)) n.fail(`channel pads ${before}, ${after} must be non-negative integers`);
  // The padded value must fit --max-memory like every other value, and its weights the bound above.
  checkValueSize([out, ...n.shapeOf(x).slice(1)], `${n.where}: the padded value`, n.ctx.maxMemoryBytes);
  const producerWeights = (() => {
    const p = n.ctx.producerOf(x);
    return p?.op === 'conv' ? p.weight.data.length / p.weight.dims[0]! : channels;
  })();
  checkSelectionSize(n, [out, producerWeights], 'this channel Pad');
  const producer = n.ctx.producerOf(x);
  if (producer?.op === 'conv' && onlyReader(n, x) && producer.group === 1) {
    const [, cin, kh, kw] = producer.weight.dims as [number, number, number, number];
    const per = cin * kh * kw;
    const weight = new Float32Array(out * per);
    weight.set(producer.weight.data, before * per);
    const bias = new Float32Array(out);
    bias.set(producer.bias.data, before);
    const widened: ConvNode = { ...producer, weight: tensor([out, cin, kh, kw], weight), bias: tensor([out], bias) };
    const index = n.ctx.nodes.indexOf(producer);
    n.ctx.nodes[index] = widened;
    n.ctx.shapes.set(x, [out, ...n.shapeOf(x).slice(1)]);
    n.alias(0, { kind: 'dynamic', name: x });
    n.note(`zero channels (${before} before, ${after} after) folded into conv '${producer.name}'`);
    return;
  }
  const weight = new Float32Array(out * channels);
  for (let c = 0; c < channels; c++) weight[(before + c) * channels + c] = 1;
  n.emit({
    op: 'conv',
    inputs: [x],
    weight: tensor([out, channels, 1, 1], weight),
    bias: tensor([out]),
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    dilations: [1, 1],
    group: 1,
  });
  n.note(`zero channels (${before} before, ${after} after) read as a 1x1 identity convolution`);
}
