/**
 * The TF.js layer table: Keras class name -> builder. A builder reads one layer through a
 * LayerView and emits IR nodes in NCHW (layout.ts holds the NHWC -> NCHW permutations), or
 * records why the layer is unsupported and returns undefined.
 */
import { tensor } from '../../ir/tensor.js';
import type { LayerView, TfValue } from './context.js';
import { denseWeight, depthwiseToOihw, flattenPermutation, hwioToOihw, kerasPads, permuteVector } from './layout.js';

export type LayerBuilder = (v: LayerView) => TfValue | undefined;

/** Why rate-coded IF neurons cannot stand for these activations (rates are >= 0 and ReLU-like). */
const REFUSED: Record<string, string> = {
  tanh: 'tanh has negative outputs and saturates; an IF neuron\'s firing rate is a non-negative, ReLU-like function of its input',
  sigmoid: 'sigmoid is not piecewise linear; an IF neuron\'s firing rate is a ReLU-like function of its input',
  hardSigmoid: 'hard sigmoid is non-zero at zero input; an IF neuron\'s firing rate is a ReLU-like function of its input',
  elu: 'elu has negative outputs, which firing rates (>= 0) cannot represent',
  selu: 'selu has negative outputs, which firing rates (>= 0) cannot represent',
  softplus: 'softplus is not piecewise linear; firing rates cannot represent it',
  softsign: 'softsign has negative outputs and saturates; firing rates cannot represent it',
  gelu: 'gelu has negative outputs and is not piecewise linear; firing rates cannot represent it',
  gelu_new: 'gelu has negative outputs and is not piecewise linear; firing rates cannot represent it',
  mish: 'mish has negative outputs; firing rates cannot represent it',
  swish: 'swish has negative outputs; firing rates cannot represent it',
};

/**
 * Applies a Keras activation to `x`. A refused one is recorded and `x` passed on, so that the
 * layers after it are still checked (every problem is reported at once).
 */
function activate(v: LayerView, x: TfValue, activation: string): TfValue {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return v.emit({ op: 'relu', inputs: [x.name] }, x.rank, x.perm);
    case 'relu6':
      return v.emit({ op: 'relu', inputs: [x.name], ceiling: 6 }, x.rank, x.perm);
    case 'softmax':
      if (v.isOutput && x.rank === 2) {
        v.note('softmax dropped at the output (argmax unchanged)');
        return x;
      }
      v.unsupported('softmax inside the network has no spiking equivalent (it is dropped only at the output, where argmax is unchanged)');
      return x;
    default:
      v.unsupported(REFUSED[activation] ? `activation ${activation}: ${REFUSED[activation]}` : `activation ${activation} is not supported`);
      return x;
  }
}

/** The single input as an image [N, H, W, C], or undefined (recorded) otherwise. */
function image(v: LayerView): TfValue | undefined {
  const x = v.inputs[0]!;
  if (x.rank !== 4) {
    v.unsupported(`expected an image input [N,H,W,C], got rank ${x.rank}`);
    return undefined;
  }
  if ((v.config.dataFormat ?? 'channelsLast') !== 'channelsLast') {
    v.unsupported(`data_format ${String(v.config.dataFormat)} is not supported (only channels_last)`);
    return undefined;
  }
  return x;
}

function bias(v: LayerView, count: number): Float32Array {
  const b = v.config.useBias === false ? undefined : v.weight('bias');
  if (b && b.data.length !== count) v.fail(`bias has ${b.data.length} values for ${count} outputs`);
  return b ? b.data : new Float32Array(count);
}

function convLike(v: LayerView, depthwise: boolean): TfValue | undefined {
  const x = image(v);
  if (!x) return undefined;
  const padding = v.str('padding', 'valid');
  if (padding !== 'valid' && padding !== 'same') {
    v.unsupported(`padding '${padding}' is not supported (valid or same)`);
    return undefined;
  }
  if (!depthwise && (v.config.groups ?? 1) !== 1) {
    v.unsupported(`grouped Conv2D (groups ${String(v.config.groups)}) is not supported`);
    return undefined;
  }
  const k = v.requireWeight(depthwise ? 'depthwise_kernel' : 'kernel');
  const [kH, kW, cIn, last] = k.dims as [number, number, number, number];
  const cOut = depthwise ? cIn * last : last;
  const strides = v.pair('strides', [1, 1]);
  const dilations = v.pair('dilationRate', [1, 1]);
  const shape = v.shapeOf(x);
  const weight = depthwise ? depthwiseToOihw(k.data, k.dims) : hwioToOihw(k.data, k.dims);
  const y = v.emit(
    {
      op: 'conv',
      inputs: [x.name],
      weight: tensor([cOut, depthwise ? 1 : cIn, kH, kW], weight),
      bias: tensor([cOut], bias(v, cOut)),
      strides,
      pads: kerasPads(padding, shape, [kH, kW], strides, dilations),
      dilations,
      group: depthwise ? cIn : 1,
    },
    4,
  );
  v.note(`kernel [${k.dims.join(',')}] (${depthwise ? 'H,W,C,multiplier' : 'H,W,in,out'}) laid out as [${cOut},${depthwise ? 1 : cIn},${kH},${kW}] (out,in,H,W)`);
  return activate(v, y, v.str('activation', 'linear'));
}

function dense(v: LayerView): TfValue | undefined {
  const x = v.inputs[0]!;
  if (x.rank !== 2) {
    v.unsupported(`Dense on a rank-${x.rank} input applies per position; only Dense on vectors [N,F] (after Flatten or global pooling) is supported`);
    return undefined;
  }
  const k = v.requireWeight('kernel');
  const [kIn, kOut] = k.dims as [number, number];
  const y = v.emit(
    { op: 'dense', inputs: [x.name], weight: tensor([kOut, kIn], denseWeight(k.data, kIn, kOut, x.perm)), bias: tensor([kOut], bias(v, kOut)) },
    2,
  );
  if (x.perm) v.note(`input columns reordered from Keras's flatten order (H,W,C) to the IR's (C,H,W)`);
  return activate(v, y, v.str('activation', 'linear'));
}

function pooling(v: LayerView, max: boolean): TfValue | undefined {
  const x = image(v);
  if (!x) return undefined;
  const padding = v.str('padding', 'valid');
  const kernel = v.pair('poolSize', [2, 2]);
  const strides = v.config.strides == null ? kernel : v.pair('strides');
  const pads = kerasPads(padding, v.shapeOf(x), kernel, strides);
  // TensorFlow's 'same' average divides by the cells inside the input only.
  return v.emit({ op: max ? 'maxpool' : 'avgpool', inputs: [x.name], kernel, strides, pads, ceilMode: false, countIncludePad: false }, 4);
}

function globalPooling(v: LayerView, max: boolean): TfValue | undefined {
  const x = image(v);
  if (!x) return undefined;
  const [, h, w] = v.shapeOf(x) as [number, number, number];
  const pooled = max
    ? v.emit({ op: 'maxpool', inputs: [x.name], kernel: [h, w], strides: [h, w], pads: [0, 0, 0, 0], ceilMode: false, countIncludePad: false }, 4)
    : v.emit({ op: 'globalavgpool', inputs: [x.name] }, 4);
  if (v.config.keepDims === true) return pooled;
  return v.emit({ op: 'flatten', inputs: [pooled.name] }, 2);
}

/** Inference BatchNormalization: y = gamma (x - mean) / sqrt(var + eps) + beta, per channel. */
function batchNorm(v: LayerView): TfValue | undefined {
  const x = v.inputs[0]!;
  const axis = v.num('axis', -1);
  if (axis !== -1 && axis !== x.rank - 1) {
    v.unsupported(`axis ${axis} is not the channel axis (-1)`);
    return undefined;
  }
  const mean = v.requireWeight('moving_mean').data;
  const variance = v.requireWeight('moving_variance').data;
  const gamma = v.weight('gamma')?.data ?? new Float32Array(mean.length).fill(1);
  const beta = v.weight('beta')?.data ?? new Float32Array(mean.length);
  const eps = v.num('epsilon', 1e-3);
  const scale = gamma.map((g, c) => g / Math.sqrt(variance[c]! + eps));
  const shift = beta.map((b, c) => b - mean[c]! * scale[c]!);
  const n = scale.length;
  return v.emit(
    { op: 'affine', inputs: [x.name], scale: tensor([n], permuteVector(scale, x.perm)), shift: tensor([n], permuteVector(shift, x.perm)) },
    x.rank,
    x.perm,
  );
}

function flatten(v: LayerView): TfValue | undefined {
  const x = v.inputs[0]!;
  if (x.rank === 2) return x;
  if (x.rank !== 4) {
    v.unsupported(`Flatten of a rank-${x.rank} tensor is not supported`);
    return undefined;
  }
  const shape = v.shapeOf(x);
  const perm = flattenPermutation(shape);
  if (perm) v.note(`flattens [${shape[1]},${shape[2]},${shape[0]}] in Keras's order (H,W,C); the IR flattens (C,H,W) and the next layer's weights are reordered`);
  return v.emit({ op: 'flatten', inputs: [x.name] }, 2, perm);
}

function removed(v: LayerView): TfValue {
  v.note('removed (no effect at inference)');
  return v.inputs[0]!;
}

function reluLayer(v: LayerView): TfValue | undefined {
  const x = v.inputs[0]!;
  const ceiling = v.config.maxValue;
  if (ceiling == null) return v.emit({ op: 'relu', inputs: [x.name] }, x.rank, x.perm);
  if (typeof ceiling !== 'number' || !(ceiling > 0)) v.fail(`maxValue must be a positive number, got ${JSON.stringify(ceiling)}`);
  return v.emit({ op: 'relu', inputs: [x.name], ceiling }, x.rank, x.perm);
}

const samePerm = (a: Int32Array | null, b: Int32Array | null) => a === b || (a !== null && b !== null && a.every((p, i) => p === b[i]));

function add(v: LayerView): TfValue | undefined {
  const [first, ...rest] = v.inputs;
  if (rest.some((x) => x.rank !== first!.rank || !samePerm(x.perm, first!.perm))) {
    v.unsupported('inputs differ in layout (rank or flatten order)');
    return undefined;
  }
  let acc = first!;
  for (const x of rest) acc = v.emit({ op: 'add', inputs: [acc.name, x.name] }, acc.rank, acc.perm);
  return acc;
}

function concatenate(v: LayerView): TfValue | undefined {
  const rank = v.inputs[0]!.rank;
  const axis = v.num('axis', -1);
  if (v.inputs.some((x) => x.rank !== rank) || (axis !== -1 && axis !== rank - 1)) {
    v.unsupported(`only concatenation along the channel axis (-1) of equal-rank inputs is supported, got axis ${axis}`);
    return undefined;
  }
  // Vectors concatenate in both orders alike: offset each input's permutation by its position.
  let perm: Int32Array | null = null;
  if (rank === 2 && v.inputs.some((x) => x.perm)) {
    const sizes = v.inputs.map((x) => v.shapeOf(x)[0]!);
    perm = new Int32Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    v.inputs.forEach((x, j) => {
      for (let i = 0; i < sizes[j]!; i++) perm![offset + i] = offset + (x.perm ? x.perm[i]! : i);
      offset += sizes[j]!;
    });
  }
  return v.emit({ op: 'concat', inputs: v.inputs.map((x) => x.name) }, rank, perm);
}

function activationLayer(v: LayerView): TfValue | undefined {
  return activate(v, v.inputs[0]!, v.str('activation', 'linear'));
}

function softmaxLayer(v: LayerView): TfValue | undefined {
  return activate(v, v.inputs[0]!, 'softmax');
}

export const TFJS_LAYERS: Record<string, LayerBuilder> = {
  Conv2D: (v) => convLike(v, false),
  DepthwiseConv2D: (v) => convLike(v, true),
  Dense: dense,
  MaxPooling2D: (v) => pooling(v, true),
  AveragePooling2D: (v) => pooling(v, false),
  GlobalAveragePooling2D: (v) => globalPooling(v, false),
  GlobalMaxPooling2D: (v) => globalPooling(v, true),
  BatchNormalization: batchNorm,
  Flatten: flatten,
  Dropout: removed,
  SpatialDropout2D: removed,
  ReLU: reluLayer,
  Activation: activationLayer,
  Softmax: softmaxLayer,
  Add: add,
  Concatenate: concatenate,
};

/** Layer classes snnc reads (listed in docs/models.md). */
export const SUPPORTED_TFJS_LAYERS = Object.keys(TFJS_LAYERS);
