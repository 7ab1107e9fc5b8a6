/**
 * Builds small ONNX models from scratch for tests that compare snnc's shape rules with
 * onnxruntime: one float input [1, ...dims], nodes with attributes, float or int64
 * initializers, one output.
 */
import { onnx, type AttributeProto } from '../../src/io/onnx/proto.js';

type ModelInit = Parameters<typeof onnx.ModelProto.create>[0];
type ValueInfo = NonNullable<NonNullable<NonNullable<ModelInit>['graph']>['input']>[number];

export type AttrValue = number | number[] | string;

export interface BuildNode {
  op: string;
  inputs: string[];
  output: string;
  attrs?: Record<string, AttrValue>;
}

export interface BuildInit {
  name: string;
  dims: number[];
  /** Float32 values, or int64 values with `int`. */
  values: number[];
  int?: boolean;
}

function attribute(name: string, v: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.INT, i: v };
}

/** A model `x [1, ...inputDims] -> nodes -> y`; opset 13 unless given. */
export function buildOnnx(inputDims: number[], nodes: BuildNode[], inits: BuildInit[] = [], opset = 13): Uint8Array {
  const T = onnx.TensorProto.DataType;
  const valueInfo = (name: string, dims?: number[]): ValueInfo => ({
    name,
    type: { tensorType: { elemType: T.FLOAT, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } },
  });
  const model: ModelInit = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'snnc-test',
    graph: {
      name: 'g',
      input: [valueInfo('x', [1, ...inputDims])],
      output: [valueInfo('y')],
      node: nodes.map((n, i) => ({
        name: `n${i}`,
        opType: n.op,
        input: n.inputs,
        output: [n.output],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: inits.map((t) =>
        t.int
          ? { name: t.name, dims: t.dims, dataType: T.INT64, int64Data: t.values }
          : { name: t.name, dims: t.dims, dataType: T.FLOAT, floatData: t.values },
      ),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
