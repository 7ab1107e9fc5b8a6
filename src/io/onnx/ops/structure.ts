/**
 * ONNX ops that move data without arithmetic: Flatten, Reshape, Concat, Identity, Dropout,
 * output Softmax, Constant, and the shape computations exporters emit around Reshape
 * (Shape -> Gather -> Unsqueeze -> Concat), which are folded into constants here.
 */
import { sizeOf } from '../../../ir/tensor.js';
import { BATCH_DIM, type NodeView } from '../context.js';
import type { ConstTensor } from '../proto.js';
import { constConcat } from './constfold.js';

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function normalizeAxis(n: NodeView, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) n.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Passes input 0 through (Identity; Dropout at inference). */
export function identity(n: NodeView): void {
  if (n.usedExtraOutputs().length > 0) {
    n.unsupported('the mask output of Dropout is not supported');
    return;
  }
  // Dropout-12 takes training_mode as input 2: only inference (false, the default) is the identity.
  const training = n.op === 'Dropout' && n.ctx.opset >= 12 ? n.input(2) : undefined;
  const legacyTraining = n.op === 'Dropout' && n.ctx.opset < 7 && n.int('is_test', 0) !== 1;
  if (legacyTraining || (training && (training.kind !== 'const' || training.tensor.data[0] !== 0))) {
    n.unsupported('Dropout in training mode (training_mode not a constant false) is random; only inference Dropout is supported');
    return;
  }
  const v = n.input(0);
  if (!v) n.fail('missing input');
  n.alias(0, v);
  if (v.kind !== 'const') n.note('removed (no effect at inference)');
}

/**
 * Softmax / LogSoftmax are monotonic per sample when they normalise over every axis but the
 * batch: dropped at the output, where only the argmax is read. Before opset 13 the input is
 * coerced to 2-D at `axis` (default 1, i.e. the whole sample); from 13 on only `axis` (default -1)
 * is normalised, which is the whole sample when it is the only non-batch axis.
 */
export function outputSoftmax(n: NodeView): void {
  const out = n.outputNames[0]!;
  if (!n.ctx.graphOutputs.has(out) || (n.ctx.readers.get(out) ?? 0) > 1) {
    n.unsupported(`${n.op} inside the network has no spiking equivalent (it is dropped only at the output, where argmax is unchanged)`);
    return;
  }
  const x = n.dynamicInput(0);
  const rank = n.shapeOf(x).length + 1;
  const axis = normalizeAxis(n, n.int('axis', n.ctx.opset < 13 ? 1 : -1), rank);
  const wholeSample = axis === 1 && (n.ctx.opset < 13 || rank === 2);
  if (!wholeSample) {
    n.unsupported(`${n.op} over axis ${axis} of a rank-${rank} output normalises parts of a sample separately; only a softmax over the whole sample keeps its argmax`);
    return;
  }
  n.alias(0, { kind: 'dynamic', name: x });
  n.note('dropped at the output (argmax unchanged)');
}

export function constant(n: NodeView): void {
  for (const attr of ['value', 'value_float', 'value_floats', 'value_int', 'value_ints']) {
    const t = n.tensorAttr(attr);
    if (t) {
      n.setConst(0, t);
      return;
    }
  }
  n.unsupported('only numeric Constant values (value, value_float(s), value_int(s)) are supported');
}

/**
 * Flatten(axis): [d0, ..., d(r-1)] -> [d0 * ... * d(axis-1), d(axis) * ... * d(r-1)], axis in
 * [-r, r]. On data only axis 1 keeps the batch apart: [N, C, H, W] -> [N, C*H*W].
 */
export function flatten(n: NodeView): void {
  const v = n.input(0);
  if (!v) n.fail('missing input');
  const rank = v.kind === 'const' ? v.tensor.dims.length : n.shapeOf(v.name).length + 1;
  const given = n.int('axis', 1);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis > rank) n.fail(`axis ${given} is out of range for rank ${rank}`);
  if (v.kind === 'const') {
    const outer = sizeOf(v.tensor.dims.slice(0, axis));
    n.setConst(0, { ...v.tensor, dims: [outer, sizeOf(v.tensor.dims.slice(axis))] });
    return;
  }
  if (axis !== 1) {
    n.unsupported(`Flatten with axis ${given} of a rank-${rank} tensor mixes the batch with other axes; only axis 1 is supported`);
    return;
  }
  const shape = n.shapeOf(v.name);
  if (shape.length === 1) n.alias(0, v);
  else n.emit({ op: 'flatten', inputs: [v.name] });
}

/** Resolves ONNX Reshape's 0 (copy) and -1 (infer) entries for a tensor of `inDims`. */
function resolveTarget(n: NodeView, inDims: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? inDims[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = out.filter((d) => d === -1).length;
  if (inferred > 1) n.fail(`shape [${target.join(',')}] has more than one -1`);
  const total = sizeOf(inDims);
  if (inferred === 1) {
    if (known === 0 || total % known !== 0) n.fail(`cannot reshape ${total} elements to [${target.join(',')}]`);
    return out.map((d) => (d === -1 ? total / known : d));
  }
  if (known !== total) n.fail(`cannot reshape ${total} elements to [${target.join(',')}]`);
  return out;
}

export function reshape(n: NodeView): void {
  const v = n.input(0);
  if (!v) n.fail('missing data input');
  const target = Array.from(n.constInput(1, 'shape').data);
  const allowZero = n.int('allowzero', 0) !== 0;
  if (v.kind === 'const') {
    n.setConst(0, { ...v.tensor, dims: resolveTarget(n, v.tensor.dims, target, allowZero) });
    return;
  }
  const shape = n.shapeOf(v.name);
  if (target.slice(1).includes(BATCH_DIM)) {
    n.unsupported(`Reshape to [${target.join(',')}] moves the batch dimension`);
    return;
  }
  // The batch entry: the batch itself (from Shape), 0 (copy), -1 (inferred), or 1 (an export at batch 1).
  const head = target[0];
  let perImage: number[];
  if (head === BATCH_DIM || (head === 0 && !allowZero) || head === 1) {
    perImage = resolveTarget(n, shape, target.slice(1).map((d, i) => (d === 0 && !allowZero ? shape[i]! : d)), true);
  } else if (head === -1 && !target.slice(1).includes(-1)) {
    perImage = target.slice(1).map((d, i) => (d === 0 && !allowZero ? shape[i]! : d));
    if (sizeOf(perImage) !== sizeOf(shape)) {
      n.unsupported(`Reshape to [${target.join(',')}] changes the number of samples in the batch`);
      return;
    }
  } else {
    n.unsupported(`Reshape to [${target.join(',')}] is not a per-image reshape`);
    return;
  }
  if (head === 1) n.note(`target [${target.join(',')}] read as batch-preserving (exported at batch 1)`);
  if (head === BATCH_DIM) n.note(`target computed from the input's shape, folded to [N,${perImage.join(',')}]`);
  if (same(perImage, shape)) n.alias(0, v);
  else if (perImage.length === 1) n.emit({ op: 'flatten', inputs: [v.name] });
  else n.unsupported(`Reshape from [N,${shape.join(',')}] to [N,${perImage.join(',')}] changes the per-image layout; only flattening is supported`);
}

export function concat(n: NodeView): void {
  const inputs = n.inputNames.map((_, i) => n.input(i)).filter((v) => v !== undefined);
  if (inputs.length === 0) n.fail('Concat has no inputs');
  if (inputs.every((v) => v.kind === 'const')) {
    constConcat(n, inputs.map((v) => (v as { tensor: ConstTensor }).tensor));
    return;
  }
  if (!inputs.every((v) => v.kind === 'dynamic')) {
    n.unsupported('Concat of data with constants is not supported');
    return;
  }
  const names = inputs.map((v) => (v as { name: string }).name);
  const rank = n.shapeOf(names[0]!).length + 1;
  if (normalizeAxis(n, n.int('axis', 1), rank) !== 1) {
    n.unsupported('Concat is supported along the channel axis (1) only');
    return;
  }
  n.emit({ op: 'concat', inputs: names });
}

/** Shape(x): the dims of x, with BATCH_DIM standing for the batch. */
export function shapeOp(n: NodeView): void {
  const v = n.input(0);
  if (!v) n.fail('missing input');
  const dims = v.kind === 'const' ? v.tensor.dims : [BATCH_DIM, ...n.shapeOf(v.name)];
  const start = n.int('start', 0);
  const end = n.hasAttr('end') ? n.int('end', dims.length) : dims.length;
  const sliced = dims.slice(start < 0 ? start + dims.length : start, end < 0 ? end + dims.length : end);
  n.setConst(0, { dims: [sliced.length], kind: 'int', data: Float64Array.from(sliced) });
}

export function gather(n: NodeView): void {
  const data = n.constInput(0, 'data');
  const idx = n.constInput(1, 'indices');
  const axis = normalizeAxis(n, n.int('axis', 0), data.dims.length);
  if (data.dims.length !== 1 || axis !== 0) {
    n.unsupported('Gather is only folded on rank-1 constants (shape computations)');
    return;
  }
  const len = data.dims[0]!;
  const out = Array.from(idx.data, (i) => {
    const j = i < 0 ? i + len : i;
    if (j < 0 || j >= len) n.fail(`index ${i} out of range for ${len} elements`);
    return data.data[j]!;
  });
  n.setConst(0, { dims: idx.dims, kind: data.kind, data: data.kind === 'int' ? Float64Array.from(out) : Float32Array.from(out) });
}

/** Unsqueeze / Squeeze of constants (axes from the attribute before opset 13, from input 1 after). */
export function squeezeOrUnsqueeze(n: NodeView): void {
  const t = n.constInput(0, 'data');
  const axes = n.ctx.opset >= 13 ? (n.input(1) ? Array.from(n.constInput(1, 'axes').data) : []) : n.ints('axes', []);
  let dims = [...t.dims];
  if (n.op === 'Unsqueeze') {
    const rank = dims.length + axes.length;
    for (const a of axes.map((a) => normalizeAxis(n, a, rank)).sort((x, y) => x - y)) dims.splice(a, 0, 1);
  } else {
    const drop = new Set(axes.length ? axes.map((a) => normalizeAxis(n, a, dims.length)) : dims.flatMap((d, i) => (d === 1 ? [i] : [])));
    dims = dims.filter((_, i) => !drop.has(i));
  }
  n.setConst(0, { ...t, dims });
}

export function cast(n: NodeView): void {
  const t = n.constInput(0, 'input');
  const to = n.int('to', 1);
  const isFloat = to === 1 || to === 10 || to === 11;
  n.setConst(0, { dims: t.dims, kind: isFloat ? 'float' : 'int', data: isFloat ? Float32Array.from(t.data) : Float64Array.from(t.data, Math.trunc) });
}
