/**
 * The ONNX op table: op type -> builder. A builder reads one ONNX node through a NodeView and
 * either emits IR nodes, folds constants, aliases values, or records why the node is
 * unsupported (so that every unsupported node is reported at once).
 */
import type { NodeView } from '../context.js';
import { arithmetic, batchNorm, clip, refusedActivation, REFUSED_ACTIVATIONS, relu } from './elementwise.js';
import { constantOfShape, transpose } from './constfold.js';
import { slice } from './select.js';
import { conv, gemm, matmul } from './linear.js';
import { pad } from './pad.js';
import { globalAveragePool, globalMaxPool, pool } from './pool.js';
import {
  cast,
  concat,
  constant,
  flatten,
  gather,
  identity,
  outputSoftmax,
  reshape,
  shapeOp,
  squeezeOrUnsqueeze,
} from './structure.js';

export type Builder = (n: NodeView) => void;

/** Builders that only fold constants (shape arithmetic): on data tensors they are unsupported. */
function constantsOnly(builder: Builder): Builder {
  return (n) => {
    const dynamic = n.inputNames.some((name, i) => name && n.input(i)?.kind === 'dynamic');
    if (dynamic && n.op !== 'Shape') n.unsupported(`${n.op} on data tensors is not supported (it is only folded in shape computations)`);
    else builder(n);
  };
}

export const ONNX_OPS: Record<string, Builder> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matmul,
  Relu: relu,
  Clip: clip,
  Add: arithmetic,
  Sub: arithmetic,
  Mul: arithmetic,
  Div: arithmetic,
  BatchNormalization: batchNorm,
  MaxPool: pool,
  AveragePool: pool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  Flatten: flatten,
  Reshape: reshape,
  Concat: concat,
  Pad: pad,
  Identity: identity,
  Dropout: identity,
  Softmax: outputSoftmax,
  LogSoftmax: outputSoftmax,
  Constant: constant,
  Shape: constantsOnly(shapeOp),
  Gather: constantsOnly(gather),
  Unsqueeze: constantsOnly(squeezeOrUnsqueeze),
  Squeeze: constantsOnly(squeezeOrUnsqueeze),
  Cast: constantsOnly(cast),
  ConstantOfShape: constantsOnly(constantOfShape),
  Slice: slice,
  Transpose: constantsOnly(transpose),
  ...Object.fromEntries(Object.keys(REFUSED_ACTIVATIONS).map((op) => [op, refusedActivation])),
};

/** Op types snnc reads (listed in docs/models.md). */
export const SUPPORTED_ONNX_OPS = Object.keys(ONNX_OPS).filter((op) => !(op in REFUSED_ACTIVATIONS));
