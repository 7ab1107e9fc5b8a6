/**
 * snnc IR -> ONNX bytes, so that onnxruntime can run the ANN (the reference for accuracy and
 * the source of calibration activations) and the linear ops of the spiking runtime.
 * The batch axis is symbolic ('N'); everything else is fixed.
 */
import type { Graph, Node } from '../../ir/graph.js';
import { inferShapes } from '../../ir/shapes.js';
import type { Tensor } from '../../ir/tensor.js';
import { onnx, type NodeProto, type TensorProto } from './proto.js';
import { InternalError } from '../../errors.js';

export const EXPORT_OPSET = 13;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

export interface ExportOptions {
  /** Extra values to expose as graph outputs (e.g. every ReLU for calibration). */
  extraOutputs?: string[];
}

class Builder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];

  constant(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: FLOAT,
      // The IR's Float32Arrays are little-endian on every platform onnxruntime-node ships for.
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  node(opType: string, name: string, input: string[], output: string[], attrs: Record<string, number | number[]> = {}): void {
    const attribute = Object.entries(attrs).map(([key, v]) =>
      Array.isArray(v)
        ? { name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: v }
        : { name: key, type: onnx.AttributeProto.AttributeType.INT, i: v },
    );
    this.nodes.push({ opType, name, input, output, attribute });
  }
}

const param = (b: Builder, node: Node, what: string, t: Tensor): string => b.constant(`${node.name}.${what}`, t.dims, t.data);

function emitNode(b: Builder, node: Node, shapes: Map<string, number[]>): void {
  const out = [node.output];
  switch (node.op) {
    case 'conv':
      b.node('Conv', node.name, [node.inputs[0]!, param(b, node, 'weight', node.weight), param(b, node, 'bias', node.bias)], out, {
        kernel_shape: node.weight.dims.slice(2) as number[],
        strides: node.strides,
        pads: node.pads,
        dilations: node.dilations,
        group: node.group,
      });
      return;
    case 'dense':
      b.node('Gemm', node.name, [node.inputs[0]!, param(b, node, 'weight', node.weight), param(b, node, 'bias', node.bias)], out, {
        transB: 1,
      });
      return;
    case 'affine': {
      // Per-channel constants shaped [C, 1, 1] (or [C] after flatten) broadcast over [N, C, H, W].
      const rank = shapes.get(node.inputs[0]!)!.length;
      const dims = [node.scale.data.length, ...Array<number>(rank - 1).fill(1)];
      const scaled = `${node.name}.scaled`;
      b.node('Mul', `${node.name}.mul`, [node.inputs[0]!, b.constant(`${node.name}.scale`, dims, node.scale.data)], [scaled]);
      b.node('Add', `${node.name}.add`, [scaled, b.constant(`${node.name}.shift`, dims, node.shift.data)], out);
      return;
    }
    case 'relu':
      if (node.ceiling === undefined) b.node('Relu', node.name, node.inputs, out);
      else {
        const lo = b.constant(`${node.name}.min`, [], Float32Array.of(0));
        const hi = b.constant(`${node.name}.max`, [], Float32Array.of(node.ceiling));
        b.node('Clip', node.name, [node.inputs[0]!, lo, hi], out);
      }
      return;
    case 'maxpool':
      b.node('MaxPool', node.name, node.inputs, out, {
        kernel_shape: node.kernel,
        strides: node.strides,
        pads: node.pads,
        ceil_mode: node.ceilMode ? 1 : 0,
      });
      return;
    case 'avgpool':
      b.node('AveragePool', node.name, node.inputs, out, {
        kernel_shape: node.kernel,
        strides: node.strides,
        pads: node.pads,
        ceil_mode: node.ceilMode ? 1 : 0,
        count_include_pad: node.countIncludePad ? 1 : 0,
      });
      return;
    case 'globalavgpool':
      b.node('GlobalAveragePool', node.name, node.inputs, out);
      return;
    case 'flatten':
      b.node('Flatten', node.name, node.inputs, out, { axis: 1 });
      return;
    case 'add':
      b.node('Add', node.name, node.inputs, out);
      return;
    case 'concat':
      b.node('Concat', node.name, node.inputs, out, { axis: 1 });
      return;
    case 'spike':
      throw new InternalError(`spiking node ${node.name} cannot be exported to ONNX`);
  }
}

function valueInfo(name: string, shape: readonly number[]) {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))] } } },
  };
}

/** Serialises an ANN graph (no spiking nodes) as an ONNX model with a symbolic batch axis. */
export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  const shapes = inferShapes(graph);
  const b = new Builder();
  for (const node of graph.nodes) emitNode(b, node, shapes);
  const outputs = [graph.output, ...(options.extraOutputs ?? []).filter((o) => o !== graph.output)];
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'snnc',
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: graph.name,
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(graph.input.name, graph.input.shape)],
      output: outputs.map((o) => valueInfo(o, shapes.get(o)!)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
