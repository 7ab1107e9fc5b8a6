/** ONNX activations, arithmetic with constants and BatchNormalization -> IR relu / affine / add. */
import { tensor } from '../../../ir/tensor.js';
import type { NodeView } from '../context.js';
import type { ConstTensor } from '../proto.js';
import { perChannel } from './broadcast.js';
import { constBinary } from './constfold.js';

export function relu(n: NodeView): void {
  n.emit({ op: 'relu', inputs: [n.dynamicInput(0)] });
}

/** Clip(0, c) is a ReLU with a ceiling (ReLU6 for c = 6); other bounds have no rate equivalent. */
export function clip(n: NodeView): void {
  const x = n.dynamicInput(0);
  const bound = (attr: string, input: number, fallback: number): number => {
    if (n.ctx.opset < 11) return n.float(attr, fallback);
    const v = n.input(input);
    if (!v) return fallback;
    if (v.kind !== 'const' || v.tensor.data.length !== 1) n.fail(`${attr} (input ${input}) must be a constant scalar`);
    return v.tensor.data[0]!;
  };
  const lo = bound('min', 1, -Infinity);
  const hi = bound('max', 2, Infinity);
  if (lo !== 0) {
    n.unsupported(`Clip(${lo}, ${hi}) has no firing-rate equivalent: only Clip(0, c), a ReLU with a ceiling, does`);
    return;
  }
  n.emit(Number.isFinite(hi) ? { op: 'relu', inputs: [x], ceiling: hi } : { op: 'relu', inputs: [x] });
}

/** Reasons why rate-coded IF neurons cannot represent an activation (rates are >= 0 and ReLU-like). */
export const REFUSED_ACTIVATIONS: Record<string, string> = {
  Tanh: 'tanh has negative outputs and saturates; an IF neuron\'s firing rate is a non-negative, ReLU-like function of its input',
  Sigmoid: 'sigmoid is not piecewise linear; an IF neuron\'s firing rate is a ReLU-like function of its input',
  HardSigmoid: 'hard sigmoid has a non-zero output at zero input; an IF neuron\'s firing rate is a ReLU-like function of its input',
  Elu: 'elu has negative outputs, which firing rates (>= 0) cannot represent',
  Selu: 'selu has negative outputs, which firing rates (>= 0) cannot represent',
  Celu: 'celu has negative outputs, which firing rates (>= 0) cannot represent',
  LeakyRelu: 'leaky ReLU has negative outputs, which firing rates (>= 0) cannot represent',
  PRelu: 'PReLU has negative outputs, which firing rates (>= 0) cannot represent',
  Softplus: 'softplus is not piecewise linear; an IF neuron\'s firing rate is a ReLU-like function of its input',
  Softsign: 'softsign has negative outputs and saturates; firing rates cannot represent it',
  Gelu: 'gelu has negative outputs and is not piecewise linear; firing rates cannot represent it',
  HardSwish: 'hard swish has negative outputs; firing rates cannot represent it',
  Mish: 'mish has negative outputs; firing rates cannot represent it',
  ThresholdedRelu: 'thresholded ReLU jumps from 0 to theta at its threshold; a rate-coded IF neuron cannot reproduce the jump',
  Abs: 'abs needs a response to negative inputs, which an IF neuron does not fire for',
  Exp: 'exp is not piecewise linear; firing rates cannot represent it',
  Log: 'log is not piecewise linear; firing rates cannot represent it',
  Sqrt: 'sqrt is not piecewise linear; firing rates cannot represent it',
};

export function refusedActivation(n: NodeView): void {
  n.unsupported(REFUSED_ACTIVATIONS[n.op]!);
}

type Arith = 'Add' | 'Sub' | 'Mul' | 'Div';

/**
 * Before opset 7, B broadcasts only with broadcast=1, its dims matching A's from `axis` on
 * (default: A's last dims). Appending ones gives the numpy-style (right-aligned) equivalent.
 */
function legacyBroadcast(n: NodeView, b: ConstTensor, rankA: number): ConstTensor {
  if (n.ctx.opset >= 7 || n.int('broadcast', 0) !== 1 || !n.hasAttr('axis')) return b;
  const axis = n.int('axis', 0) < 0 ? n.int('axis', 0) + rankA : n.int('axis', 0);
  const trailing = rankA - axis - b.dims.length;
  if (axis < 0 || trailing < 0) n.fail(`broadcast axis ${n.int('axis', 0)} does not fit B [${b.dims.join(',')}] into rank ${rankA}`);
  return { ...b, dims: [...b.dims, ...new Array<number>(trailing).fill(1)] };
}

/** Add / Sub / Mul / Div: two data tensors (Add only: residual), or data and a per-channel constant (affine). */
export function arithmetic(n: NodeView): void {
  const op = n.op as Arith;
  const a = n.input(0);
  const b = n.input(1);
  if (!a || !b) n.fail('expects two inputs');
  if (a.kind === 'dynamic' && b.kind === 'dynamic') {
    if (op !== 'Add') {
      n.unsupported(`${op} of two data tensors has no spiking equivalent (only Add, a residual sum, does)`);
      return;
    }
    n.emit({ op: 'add', inputs: [a.name, b.name] });
    return;
  }
  if (a.kind === 'const' && b.kind === 'const') {
    constBinary(n, a.tensor, legacyBroadcast(n, b.tensor, a.tensor.dims.length));
    return;
  }
  let data: string;
  let k: ConstTensor;
  const constFirst = a.kind === 'const';
  if (a.kind === 'dynamic' && b.kind === 'const') [data, k] = [a.name, b.tensor];
  else if (a.kind === 'const' && b.kind === 'dynamic') [data, k] = [b.name, a.tensor];
  else n.fail('internal: unexpected input kinds');
  const shape = n.shapeOf(data);
  if (!constFirst) k = legacyBroadcast(n, k, shape.length + 1);
  const c = perChannel(k, shape);
  if (!c) {
    n.unsupported(`constant of shape [${k.dims.join(',')}] does not broadcast as one value per channel over [N,${shape.join(',')}]`);
    return;
  }
  const scale = new Float32Array(c.length).fill(1);
  const shift = new Float32Array(c.length);
  for (let i = 0; i < c.length; i++) {
    const v = c[i]!;
    if (op === 'Add') shift[i] = v;
    else if (op === 'Sub') constFirst ? ((scale[i] = -1), (shift[i] = v)) : (shift[i] = -v);
    else if (op === 'Mul') scale[i] = v;
    else {
      if (constFirst) {
        n.unsupported('a constant divided by data is not linear');
        return;
      }
      if (v === 0) n.fail(`division by zero in channel ${i}`);
      scale[i] = 1 / v;
    }
  }
  n.emit({ op: 'affine', inputs: [data], scale: tensor([c.length], scale), shift: tensor([c.length], shift) });
}

/** Inference-mode BatchNormalization: y = gamma (x - mean) / sqrt(var + eps) + beta, as an affine map. */
export function batchNorm(n: NodeView): void {
  const x = n.dynamicInput(0);
  if (n.usedExtraOutputs().length > 0 || n.int('training_mode', 0) !== 0) {
    n.unsupported('training-mode BatchNormalization (batch statistics) is not supported; export the model in eval mode');
    return;
  }
  if (n.ctx.opset < 7 && n.int('is_test', 0) !== 1) {
    n.unsupported('BatchNormalization with is_test=0 uses batch statistics (training mode); export the model in eval mode');
    return;
  }
  if (n.ctx.opset < 9 && n.int('spatial', 1) !== 1) {
    n.unsupported('BatchNormalization with spatial=0 (per-element statistics) is not supported');
    return;
  }
  const channels = n.shapeOf(x)[0]!;
  const vec = (i: number, what: string): Float32Array => {
    const t = n.constInput(i, what);
    if (t.data.length !== channels) n.fail(`${what} has ${t.data.length} values for ${channels} channels`);
    return t.data as Float32Array;
  };
  const gamma = vec(1, 'scale');
  const beta = vec(2, 'B');
  const mean = vec(3, 'mean');
  const variance = vec(4, 'var');
  const eps = n.float('epsilon', 1e-5);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    if (variance[c]! + eps <= 0) n.fail(`var + epsilon is ${variance[c]! + eps} in channel ${c} (must be > 0)`);
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  n.emit({ op: 'affine', inputs: [x], scale: tensor([channels], scale), shift: tensor([channels], shift) });
}
