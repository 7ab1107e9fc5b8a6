/** ONNX MaxPool, AveragePool, GlobalAveragePool -> IR pools. */
import type { NodeView } from '../context.js';
import { pair, windowPads } from './linear.js';

export function pool(n: NodeView): void {
  const x = n.dynamicInput(0);
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
  const pads = windowPads(n, inShape, kernel, strides, dilations);
  n.emit({
    op: n.op === 'MaxPool' ? 'maxpool' : 'avgpool',
    inputs: [x],
    kernel,
    strides,
    pads,
    ceilMode: n.int('ceil_mode', 0) !== 0,
    countIncludePad: n.int('count_include_pad', 0) !== 0,
  });
}

export function globalAveragePool(n: NodeView): void {
  n.emit({ op: 'globalavgpool', inputs: [n.dynamicInput(0)] });
}
