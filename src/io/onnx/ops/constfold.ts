/**
 * Constant folding of the index arithmetic exporters write around Reshape and Pad (PyTorch's
 * F.pad, for one, builds its pads with ConstantOfShape -> Concat -> Reshape -> Slice ->
 * Transpose): element-wise Add / Sub / Mul / Div of two constants, ConstantOfShape, Slice and
 * Transpose of constants. Arithmetic on the symbolic batch size is refused.
 */
import { sizeOf } from '../../../ir/tensor.js';
import { BATCH_DIM, type NodeView } from '../context.js';
import type { ConstTensor } from '../proto.js';

/** Row-major strides of `dims`. */
function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/**
 * Folded constants are index arithmetic, not weights: their size comes from values in the
 * file (a ConstantOfShape's shape, a broadcast, a Concat listing one input many times), so it
 * is refused before anything is allocated once it passes what such arithmetic ever needs.
 */
export const MAX_FOLDED_VALUES = 1 << 24;

function checkFoldSize(n: NodeView, dims: readonly number[]): void {
  const count = sizeOf(dims);
  if (!(count <= MAX_FOLDED_VALUES)) {
    n.fail(`folding a constant of shape [${dims.join(',')}] (${count} values): snnc folds constants of up to ${MAX_FOLDED_VALUES} values`);
  }
}

function make(dims: number[], kind: ConstTensor['kind'], values: ArrayLike<number>): ConstTensor {
  return { dims, kind, data: kind === 'int' ? Float64Array.from(values) : Float32Array.from(values) };
}

/** numpy broadcasting of two constants under `f` (integer division truncates, as onnxruntime's). */
export function constBinary(n: NodeView, a: ConstTensor, b: ConstTensor): void {
  if (a.data.includes(BATCH_DIM) || b.data.includes(BATCH_DIM)) {
    n.unsupported(`${n.op} on the batch size: snnc keeps the batch symbolic`);
    return;
  }
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: readonly number[]) => [...new Array<number>(rank - d.length).fill(1), ...d];
  const da = pad(a.dims);
  const db = pad(b.dims);
  const dims = da.map((x, i) => {
    const y = db[i]!;
    if (x !== y && x !== 1 && y !== 1) n.fail(`shapes [${a.dims.join(',')}] and [${b.dims.join(',')}] do not broadcast`);
    return x === 1 ? y : x;
  });
  checkFoldSize(n, dims);
  const [sa, sb, so] = [stridesOf(da), stridesOf(db), stridesOf(dims)];
  const kind = a.kind === 'int' && b.kind === 'int' ? 'int' : 'float';
  const out = new Array<number>(sizeOf(dims));
  for (let i = 0; i < out.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      const c = Math.floor(i / so[k]!) % dims[k]!;
      if (da[k] !== 1) ia += c * sa[k]!;
      if (db[k] !== 1) ib += c * sb[k]!;
    }
    const x = a.data[ia]!;
    const y = b.data[ib]!;
    switch (n.op) {
      case 'Add': out[i] = x + y; break;
      case 'Sub': out[i] = x - y; break;
      case 'Mul': out[i] = x * y; break;
      default:
        if (kind === 'int' && y === 0) n.fail('integer division by zero');
        out[i] = kind === 'int' ? Math.trunc(x / y) : x / y;
    }
  }
  n.setConst(0, make(dims, kind, out));
}

/** ConstantOfShape: a tensor of the given shape filled with `value` (default float 0). */
export function constantOfShape(n: NodeView): void {
  const shape = Array.from(n.constInput(0, 'shape').data);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) n.fail(`shape [${shape.join(',')}] must be non-negative integers`);
  checkFoldSize(n, shape);
  const value = n.tensorAttr('value') ?? { dims: [1], kind: 'float' as const, data: Float32Array.of(0) };
  n.setConst(0, make(shape, value.kind, new Array<number>(sizeOf(shape)).fill(value.data[0] ?? 0)));
}

/** Transpose of a constant by `perm` (default: reversed axes). */
export function transpose(n: NodeView): void {
  const t = n.constInput(0, 'data');
  const rank = t.dims.length;
  const perm = n.ints('perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    n.fail(`perm [${perm.join(',')}] is not a permutation of ${rank} axes`);
  }
  const dims = perm.map((p) => t.dims[p]!);
  checkFoldSize(n, dims);
  const [si, so] = [stridesOf(t.dims), stridesOf(dims)];
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += (Math.floor(i / so[k]!) % dims[k]!) * si[perm[k]!]!;
    out[i] = t.data[src]!;
  }
  n.setConst(0, make(dims, t.kind, out));
}

/** Slice of a constant: starts / ends / axes / steps from attributes (opset < 10) or inputs. */
export function slice(n: NodeView): void {
  const t = n.constInput(0, 'data');
  const rank = t.dims.length;
  const list = (i: number, attr: string, what: string): number[] | undefined =>
    n.ctx.opset < 10 ? (n.hasAttr(attr) ? n.ints(attr, []) : undefined) : n.input(i) ? Array.from(n.constInput(i, what).data) : undefined;
  const starts = list(1, 'starts', 'starts') ?? n.fail('missing starts');
  const ends = list(2, 'ends', 'ends') ?? n.fail('missing ends');
  const axes = (list(3, 'axes', 'axes') ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const steps = (n.ctx.opset < 10 ? undefined : list(4, 'steps', 'steps')) ?? starts.map(() => 1);
  // One entry per sliced axis in each list, each axis once (ONNX requires it; unequal lists would index past the end).
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    n.fail(`starts, ends, axes and steps must have one value per sliced axis, got ${starts.length}, ${ends.length}, ${axes.length} and ${steps.length}`);
  }
  if (new Set(axes).size !== axes.length) n.fail(`axes [${axes.join(',')}] name an axis twice`);
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const dims = [...t.dims];
  axes.forEach((axis, j) => {
    const len = t.dims[axis];
    if (len === undefined) n.fail(`axis ${axis} is out of range for rank ${rank}`);
    const s = steps[j]!;
    if (s === 0) n.fail('slice step 0');
    // ONNX clamps starts to [0, len] (or [0, len-1] going backwards) and ends to [-1, len].
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
    const b = s > 0 ? clamp(starts[j]!, 0, len) : clamp(starts[j]!, -1, len - 1);
    const e = s > 0 ? clamp(ends[j]!, 0, len) : clamp(ends[j]!, -1, len - 1);
    begin[axis] = b;
    step[axis] = s;
    dims[axis] = Math.max(0, Math.ceil((e - b) / s));
  });
  checkFoldSize(n, dims);
  const [si, so] = [stridesOf(t.dims), stridesOf(dims)];
  const out = new Array<number>(sizeOf(dims));
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += (begin[k]! + (Math.floor(i / so[k]!) % dims[k]!) * step[k]!) * si[k]!;
    out[i] = t.data[src]!;
  }
  n.setConst(0, make(dims, t.kind, out));
}

/** Concat of constants along `axis`. */
export function constConcat(n: NodeView, ts: ConstTensor[]): void {
  const rank = ts[0]!.dims.length;
  const given = n.int('axis', 1);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis >= rank) n.fail(`axis ${given} is out of range for rank ${rank}`);
  if (ts.some((t) => t.dims.length !== rank || t.dims.some((d, k) => k !== axis && d !== ts[0]!.dims[k]))) {
    n.fail(`inputs [${ts.map((t) => t.dims.join(',')).join('] [')}] differ outside axis ${axis}`);
  }
  const dims = [...ts[0]!.dims];
  dims[axis] = ts.reduce((s, t) => s + t.dims[axis]!, 0);
  checkFoldSize(n, dims);
  // Row-major: each input contributes blocks of dims[axis..] per index of the leading axes.
  const outer = sizeOf(dims.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const block = sizeOf(t.dims.slice(axis));
      for (let i = 0; i < block; i++) out.push(t.data[o * block + i]!);
    }
  }
  n.setConst(0, make(dims, ts.every((t) => t.kind === 'int') ? 'int' : 'float', out));
}
