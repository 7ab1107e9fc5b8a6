/**
 * ONNX Pad (mode constant, value 0) on the spatial axes of [N, C, H, W]. The IR has no pad
 * op: the padded value is handed to the next node, and Conv, MaxPool and AveragePool fold the
 * zeros into their own pads (ops/linear.ts, ops/pool.ts). Anything else reading it is refused.
 * Zero channels (padding of the channel axis alone) are exact zero rows of a convolution
 * (ops/select.ts).
 */
import type { Pads } from '../../../ir/graph.js';
import type { NodeView } from '../context.js';
import { padChannels } from './select.js';

/** Element-wise sum of two pads. */
export function addPads(a: Pads, b: Pads): Pads {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];
}

/** Shape [C, H, W] after zero padding. */
export function paddedShape(shape: readonly number[], pads: Pads): number[] {
  return [shape[0]!, shape[1]! + pads[0] + pads[2], shape[2]! + pads[1] + pads[3]];
}

/** Pads per axis from the node: opset < 11 attributes, >= 11 inputs, >= 18 with optional axes. */
function readPads(n: NodeView, rank: number): { begin: number[]; end: number[]; value: number } {
  let flat: number[];
  let value: number;
  let axes = Array.from({ length: rank }, (_, i) => i);
  if (n.ctx.opset < 11) {
    flat = n.ints('pads', []);
    value = n.float('value', 0);
  } else {
    flat = Array.from(n.constInput(1, 'pads').data);
    const v = n.input(2);
    if (v && (v.kind !== 'const' || v.tensor.data.length !== 1)) n.fail('constant_value (input 2) must be a constant scalar');
    value = v?.kind === 'const' ? v.tensor.data[0]! : 0;
    if (n.input(3)) axes = Array.from(n.constInput(3, 'axes').data, (a) => (a < 0 ? a + rank : a));
  }
  if (flat.length !== 2 * axes.length) n.fail(`expected ${2 * axes.length} pads for ${axes.length} axes, got [${flat.join(',')}]`);
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((axis, j) => {
    if (axis < 0 || axis >= rank) n.fail(`axis ${axis} is out of range for rank ${rank}`);
    begin[axis] = flat[j]!;
    end[axis] = flat[j + axes.length]!;
  });
  return { begin, end, value };
}

export function pad(n: NodeView): void {
  const x = n.paddedInput(0);
  const mode = n.string('mode', 'constant');
  const rank = n.shapeOf(x.name).length + 1;
  const p = readPads(n, rank);
  const what = `pads begin [${p.begin.join(',')}] end [${p.end.join(',')}]`;
  if (p.begin.every((v) => v === 0) && p.end.every((v) => v === 0)) {
    n.alias(0, x.by ? { kind: 'padded', name: x.name, pads: x.pads, by: x.by } : { kind: 'dynamic', name: x.name });
    n.note('removed (all pads are zero)');
    return;
  }
  if (mode !== 'constant') {
    n.unsupported(`mode ${mode} (${what}) is not supported; only zero padding (mode constant, value 0) folds into a Conv or pool`);
    return;
  }
  if (p.value !== 0) {
    n.unsupported(`padding value ${p.value} is not supported; only zero padding folds into a Conv or pool`);
    return;
  }
  if ([...p.begin, ...p.end].some((v) => v < 0)) {
    n.unsupported(`${what}: negative pads (cropping) are not supported`);
    return;
  }
  const spatial = rank === 4 && [p.begin, p.end].some((s) => s[2] !== 0 || s[3] !== 0);
  const channels = rank === 4 && (p.begin[1] !== 0 || p.end[1] !== 0);
  if (rank !== 4 || p.begin[0] !== 0 || p.end[0] !== 0 || (spatial && channels)) {
    n.unsupported(`${what}: only padding of the spatial axes, or of the channel axis alone, of [N,C,H,W] is supported`);
    return;
  }
  if (channels) {
    if (x.by) {
      n.unsupported(`${what}: zero channels after the spatial Pad '${x.by}' are not supported`);
      return;
    }
    padChannels(n, x.name, p.begin[1]!, p.end[1]!);
    return;
  }
  const pads = addPads(x.pads, [p.begin[2]!, p.begin[3]!, p.end[2]!, p.end[3]!]);
  n.ctx.values.set(n.outputNames[0]!, { kind: 'padded', name: x.name, pads, by: x.by ?? n.name });
}
