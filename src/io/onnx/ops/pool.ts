/** ONNX MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool -> IR pools. */
import type { Pads, Pair, PoolNode } from '../../../ir/graph.js';
import { windowOutput } from '../../../ir/shapes.js';
import type { ImportContext, NodeView } from '../context.js';
import { pair, windowPads } from './linear.js';
import { addPads, paddedShape } from './pad.js';

type PoolSpec = Pick<PoolNode, 'kernel' | 'strides' | 'pads' | 'ceilMode' | 'countIncludePad'>;

/** Output [H, W] of a pool on a [C, H, W] input. */
function outSize(shape: readonly number[], p: PoolSpec): Pair {
  return [
    windowOutput(shape[1]!, p.kernel[0], p.strides[0], p.pads[0], p.pads[2], 1, p.ceilMode),
    windowOutput(shape[2]!, p.kernel[1], p.strides[1], p.pads[1], p.pads[3], 1, p.ceilMode),
  ];
}

/** Whether an IR value is >= 0 for every input (written by a ReLU, or pooled / reshaped from one). */
function nonNegative(ctx: ImportContext, value: string): boolean {
  const producer = ctx.producerOf(value);
  if (!producer) return false;
  switch (producer.op) {
    case 'relu':
      return true;
    case 'maxpool':
    case 'avgpool':
    case 'globalavgpool':
    case 'flatten':
    case 'concat':
      return producer.inputs.every((v) => nonNegative(ctx, v));
    default:
      return false;
  }
}

/**
 * The pool that equals "zero Pad `extra`, then `own`" on a [C, H, W] input, or a reason why
 * none does. Zero padding counts in an average (the zeros are real cells of the padded input),
 * and leaves a max unchanged only where the input is >= 0.
 */
function absorbPad(n: NodeView, x: string, own: PoolSpec, extra: Pads): PoolSpec | string {
  const explicit = outSize(paddedShape(n.shapeOf(x), extra), own);
  const candidates: PoolSpec[] = [];
  if (n.op === 'MaxPool') {
    if (!nonNegative(n.ctx, x)) return 'zero padding before MaxPool is only exact on non-negative inputs (after a ReLU)';
    candidates.push({ ...own, pads: addPads(own.pads, extra) });
  } else if (own.countIncludePad || own.pads.every((p) => p === 0)) {
    candidates.push({ ...own, pads: addPads(own.pads, extra), countIncludePad: true });
  } else if (!own.ceilMode && own.pads[0] === 0 && own.pads[1] === 0) {
    // PyTorch before opset 10 writes avg_pool2d(ceil_mode, count_include_pad) as Pad + AveragePool
    // whose uncounted end pads emulate ceil mode. Ceil mode clips the divisor at the end of the
    // padded input in the same way, so it is exact whenever the output size agrees.
    candidates.push({ ...own, pads: extra, ceilMode: true, countIncludePad: true });
  }
  const fit = candidates.find((c) => {
    const [h, w] = outSize(n.shapeOf(x), c);
    return h === explicit[0] && w === explicit[1];
  });
  return fit ?? `zero padding [${extra.join(',')}] before AveragePool with its own uncounted pads [${own.pads.join(',')}] has no single-pool equivalent`;
}

/**
 * Drops end padding no window reaches (floor mode only: in ceil mode the end pads also bound
 * the last window's divisor). PyTorch's ceil-mode emulation before opset 10 pads more than
 * the last window needs, and after a folded Pad that can reach the kernel size, which
 * onnxruntime refuses.
 */
function trimEndPads(shape: readonly number[], p: PoolSpec): PoolSpec {
  if (p.ceilMode) return p;
  const [outH, outW] = outSize(shape, p);
  const need = (out: number, axis: 0 | 1, len: number, begin: number) => (out - 1) * p.strides[axis] + p.kernel[axis] - len - begin;
  const bottom = Math.min(p.pads[2], Math.max(0, need(outH, 0, shape[1]!, p.pads[0])));
  const right = Math.min(p.pads[3], Math.max(0, need(outW, 1, shape[2]!, p.pads[1])));
  return { ...p, pads: [p.pads[0], p.pads[1], bottom, right] };
}

export function pool(n: NodeView): void {
  const { name: x, pads: extra, by: padNode } = n.paddedInput(0);
  const inShape = n.shapeOf(x);
  if (inShape.length !== 3) {
    n.unsupported(`only 2-D pooling on [N,C,H,W] is supported, input has rank ${inShape.length + 1}`);
    return;
  }
  if (n.usedExtraOutputs().length > 0) {
    n.unsupported('the Indices output of MaxPool is not supported');
    return;
  }
  const kernel = pair(n, 'kernel_shape', n.ints('kernel_shape', []));
  const strides = pair(n, 'strides', n.ints('strides', [1, 1]));
  const dilations = pair(n, 'dilations', n.ints('dilations', [1, 1]));
  if (dilations[0] !== 1 || dilations[1] !== 1) {
    n.unsupported(`dilated pooling (dilations [${dilations.join(',')}]) is not supported`);
    return;
  }
  if (n.int('storage_order', 0) !== 0) n.note('storage_order ignored (it only affects the Indices output)');
  const own: PoolSpec = {
    kernel,
    strides,
    pads: windowPads(n, paddedShape(inShape, extra), kernel, strides, dilations),
    ceilMode: n.int('ceil_mode', 0) !== 0,
    countIncludePad: n.int('count_include_pad', 0) !== 0,
  };
  let spec = own;
  if (padNode) {
    const folded = absorbPad(n, x, own, extra);
    if (typeof folded === 'string') {
      n.unsupported(`cannot fold Pad '${padNode}': ${folded}`);
      return;
    }
    spec = trimEndPads(inShape, folded);
    n.note(
      `folded Pad '${padNode}' into its pads, now [${spec.pads.join(',')}]` +
        (n.op === 'AveragePool' ? `, count_include_pad ${Number(spec.countIncludePad)}, ceil_mode ${Number(spec.ceilMode)}` : ''),
    );
  }
  if (spec.pads[0] >= kernel[0] || spec.pads[2] >= kernel[0] || spec.pads[1] >= kernel[1] || spec.pads[3] >= kernel[1]) {
    n.unsupported(`pads [${spec.pads.join(',')}] must be smaller than the kernel ${kernel.join('x')} (a window would hold only padding)`);
    return;
  }
  n.emit({ op: n.op === 'MaxPool' ? 'maxpool' : 'avgpool', inputs: [x], ...spec });
}

export function globalAveragePool(n: NodeView): void {
  n.emit({ op: 'globalavgpool', inputs: [n.dynamicInput(0)] });
}

/** GlobalMaxPool is a MaxPool whose window is the whole plane. */
export function globalMaxPool(n: NodeView): void {
  const x = n.dynamicInput(0);
  const shape = n.shapeOf(x);
  if (shape.length !== 3) {
    n.unsupported(`only 2-D pooling on [N,C,H,W] is supported, input has rank ${shape.length + 1}`);
    return;
  }
  const kernel: Pair = [shape[1]!, shape[2]!];
  n.emit({ op: 'maxpool', inputs: [x], kernel, strides: kernel, pads: [0, 0, 0, 0], ceilMode: false, countIncludePad: false });
  n.note(`read as MaxPool ${kernel.join('x')}`);
}
