/**
 * Protobuf-level mutations of ONNX models: the file stays a well-formed protobuf, but its
 * fields say something wrong (dims, data types, attribute values, node inputs and outputs,
 * op types, the graph input's shape, the opset). These reach far deeper into the loader than
 * byte-level noise, which mostly breaks the protobuf framing.
 */
import fc from 'fast-check';
import { onnx, type ModelProto, type TensorProto } from '../../src/io/onnx/proto.js';
import { interestingFloat, interestingInt } from './mutate.js';

const ATTRIBUTE_NAMES = ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'axis', 'axes', 'transA', 'transB', 'alpha', 'beta',
  'epsilon', 'ceil_mode', 'count_include_pad', 'auto_pad', 'allowzero', 'to', 'min', 'max', 'value', 'mode', 'spatial', 'start', 'end',
  'perm', 'starts', 'ends', 'broadcast', 'is_test'];
const OP_TYPES = ['Conv', 'Gemm', 'MatMul', 'Relu', 'Clip', 'Add', 'Sub', 'Mul', 'Div', 'BatchNormalization', 'MaxPool', 'AveragePool',
  'GlobalAveragePool', 'Flatten', 'Reshape', 'Concat', 'Pad', 'Identity', 'Dropout', 'Softmax', 'Constant', 'Shape', 'Gather', 'Unsqueeze',
  'Squeeze', 'Cast', 'ConstantOfShape', 'Slice', 'Transpose', 'GlobalMaxPool', 'Tanh', 'LSTM', '', 'relu', '\n\u001b[31m'];
const NAMES = ['', 'x', 'input', 'output', '\n', '\u202e', 'n'.repeat(500)];

const index = fc.nat({ max: 1000 });
const dataType = fc.integer({ min: 0, max: 22 });

export type OnnxMutation =
  | { kind: 'tensorDim'; tensor: number; dim: number; value: number }
  | { kind: 'tensorRank'; tensor: number; dims: number[] }
  | { kind: 'tensorType'; tensor: number; type: number }
  | { kind: 'tensorData'; tensor: number; how: 'dropRaw' | 'shortRaw' | 'longRaw' | 'typed' | 'poison'; value: number; at: number }
  | { kind: 'tensorName'; tensor: number; name: string }
  | { kind: 'attrInt'; node: number; attr: number; value: number }
  | { kind: 'attrInts'; node: number; attr: number; values: number[] }
  | { kind: 'attrElem'; node: number; attr: number; elem: number; value: number }
  | { kind: 'attrFloat'; node: number; attr: number; value: number }
  | { kind: 'attrType'; node: number; attr: number; type: number }
  | { kind: 'attrDrop'; node: number; attr: number }
  | { kind: 'attrAdd'; node: number; name: string; value: number; values: number[]; s: string }
  | { kind: 'input'; node: number; slot: number; source: number; how: 'other' | 'empty' | 'unknown' | 'drop' | 'add' }
  | { kind: 'output'; node: number; slot: number; source: number }
  | { kind: 'opType'; node: number; op: string }
  | { kind: 'domain'; node: number; domain: string }
  | { kind: 'order'; a: number; b: number; how: 'swap' | 'drop' | 'duplicate' }
  | { kind: 'graphInput'; how: 'dim' | 'param' | 'type' | 'drop' | 'add' | 'rank'; dim: number; value: number }
  | { kind: 'graphOutput'; source: number; how: 'rename' | 'drop' | 'add' }
  | { kind: 'opset'; version: number };

export const onnxMutation: fc.Arbitrary<OnnxMutation> = fc.oneof(
  fc.record({ kind: fc.constant('tensorDim' as const), tensor: index, dim: index, value: interestingInt }),
  fc.record({ kind: fc.constant('tensorRank' as const), tensor: index, dims: fc.array(interestingInt, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('tensorType' as const), tensor: index, type: dataType }),
  fc.record({
    kind: fc.constant('tensorData' as const),
    tensor: index,
    how: fc.constantFrom('dropRaw' as const, 'shortRaw' as const, 'longRaw' as const, 'typed' as const, 'poison' as const),
    value: interestingFloat,
    at: index,
  }),
  fc.record({ kind: fc.constant('tensorName' as const), tensor: index, name: fc.constantFrom(...NAMES) }),
  fc.record({ kind: fc.constant('attrInt' as const), node: index, attr: index, value: interestingInt }),
  fc.record({ kind: fc.constant('attrInts' as const), node: index, attr: index, values: fc.array(interestingInt, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('attrElem' as const), node: index, attr: index, elem: index, value: interestingInt }),
  fc.record({ kind: fc.constant('attrFloat' as const), node: index, attr: index, value: interestingFloat }),
  fc.record({ kind: fc.constant('attrType' as const), node: index, attr: index, type: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('attrDrop' as const), node: index, attr: index }),
  fc.record({
    kind: fc.constant('attrAdd' as const),
    node: index,
    name: fc.constantFrom(...ATTRIBUTE_NAMES),
    value: interestingInt,
    values: fc.array(interestingInt, { maxLength: 6 }),
    s: fc.constantFrom('NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER', 'reflect', ''),
  }),
  fc.record({
    kind: fc.constant('input' as const),
    node: index,
    slot: index,
    source: index,
    how: fc.constantFrom('other' as const, 'empty' as const, 'unknown' as const, 'drop' as const, 'add' as const),
  }),
  fc.record({ kind: fc.constant('output' as const), node: index, slot: index, source: index }),
  fc.record({ kind: fc.constant('opType' as const), node: index, op: fc.constantFrom(...OP_TYPES) }),
  fc.record({ kind: fc.constant('domain' as const), node: index, domain: fc.constantFrom('', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft') }),
  fc.record({ kind: fc.constant('order' as const), a: index, b: index, how: fc.constantFrom('swap' as const, 'drop' as const, 'duplicate' as const) }),
  fc.record({
    kind: fc.constant('graphInput' as const),
    how: fc.constantFrom('dim' as const, 'param' as const, 'type' as const, 'drop' as const, 'add' as const, 'rank' as const),
    dim: index,
    value: interestingInt,
  }),
  fc.record({ kind: fc.constant('graphOutput' as const), source: index, how: fc.constantFrom('rename' as const, 'drop' as const, 'add' as const) }),
  fc.record({ kind: fc.constant('opset' as const), version: interestingInt }),
);

const at = <T>(list: readonly T[] | null | undefined, i: number): T | undefined => (list && list.length > 0 ? list[i % list.length] : undefined);

/** Every tensor of the model: initializers and Constant values (attribute tensors). */
function tensorsOf(model: ModelProto): TensorProto[] {
  const g = model.graph!;
  const fromAttrs = (g.node ?? []).flatMap((n) => (n.attribute ?? []).flatMap((a) => (a.t ? [a.t] : [])));
  return [...(g.initializer ?? []), ...fromAttrs];
}

/** Every value name the graph mentions (inputs, initializers, node outputs). */
function valueNames(model: ModelProto): string[] {
  const g = model.graph!;
  return [...(g.input ?? []).map((i) => i.name ?? ''), ...(g.initializer ?? []).map((i) => i.name ?? ''), ...(g.node ?? []).flatMap((n) => n.output ?? [])];
}

function mutateTensor(t: TensorProto, m: Extract<OnnxMutation, { kind: `tensor${string}` }>): void {
  switch (m.kind) {
    case 'tensorDim':
      if (t.dims && t.dims.length > 0) t.dims[m.dim % t.dims.length] = m.value;
      else t.dims = [m.value];
      return;
    case 'tensorRank':
      t.dims = m.dims;
      return;
    case 'tensorType':
      t.dataType = m.type;
      return;
    case 'tensorName':
      t.name = m.name;
      return;
    case 'tensorData': {
      const raw = t.rawData ?? new Uint8Array();
      if (m.how === 'dropRaw') t.rawData = new Uint8Array();
      else if (m.how === 'shortRaw') t.rawData = raw.slice(0, raw.length > 0 ? m.at % raw.length : 0);
      else if (m.how === 'longRaw') t.rawData = Uint8Array.from([...raw, 0, 0, 0, 0]);
      else if (m.how === 'typed') {
        const floats = raw.length >= 4 ? Array.from(new Float32Array(raw.slice(0, raw.length - (raw.length % 4)).buffer)) : [m.value];
        t.rawData = new Uint8Array();
        t.floatData = floats;
      } else if (raw.length >= 4) {
        // A NaN, an infinity or any other float32 written into the raw data.
        const copy = raw.slice();
        new DataView(copy.buffer).setFloat32(4 * (m.at % Math.floor(copy.length / 4)), m.value, true);
        t.rawData = copy;
      }
      return;
    }
  }
}

/** Applies mutations to a freshly decoded copy of `bytes` and returns the re-encoded model. */
export function mutateOnnx(bytes: Uint8Array, mutations: readonly OnnxMutation[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph!;
  const nodes = g.node ?? [];
  for (const m of mutations) {
    switch (m.kind) {
      case 'tensorDim':
      case 'tensorRank':
      case 'tensorType':
      case 'tensorData':
      case 'tensorName': {
        const t = at(tensorsOf(model), m.tensor);
        if (t) mutateTensor(t, m);
        break;
      }
      case 'attrInt':
      case 'attrInts':
      case 'attrElem':
      case 'attrFloat':
      case 'attrType':
      case 'attrDrop': {
        const node = at(nodes, m.node);
        const a = at(node?.attribute, m.attr);
        if (!node || !a) break;
        if (m.kind === 'attrInt') a.i = m.value;
        else if (m.kind === 'attrInts') a.ints = m.values;
        else if (m.kind === 'attrElem' && a.ints?.length) a.ints[m.elem % a.ints.length] = m.value;
        else if (m.kind === 'attrFloat') a.f = m.value;
        else if (m.kind === 'attrType') a.type = m.type;
        else node.attribute = node.attribute!.filter((x) => x !== a);
        break;
      }
      case 'attrAdd': {
        const node = at(nodes, m.node);
        if (!node) break;
        const isInts = ['kernel_shape', 'strides', 'pads', 'dilations', 'axes', 'perm', 'starts', 'ends'].includes(m.name);
        const isString = m.name === 'auto_pad' || m.name === 'mode';
        const attr = isString
          ? { name: m.name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(m.s) }
          : isInts
            ? { name: m.name, type: onnx.AttributeProto.AttributeType.INTS, ints: m.values }
            : { name: m.name, type: onnx.AttributeProto.AttributeType.INT, i: m.value, f: m.value };
        node.attribute = [...(node.attribute ?? []).filter((a) => a.name !== m.name), onnx.AttributeProto.create(attr)];
        break;
      }
      case 'input': {
        const node = at(nodes, m.node);
        if (!node) break;
        const inputs = [...(node.input ?? [])];
        const slot = inputs.length > 0 ? m.slot % inputs.length : 0;
        if (m.how === 'other') inputs[slot] = at(valueNames(model), m.source) ?? '';
        else if (m.how === 'empty') inputs[slot] = '';
        else if (m.how === 'unknown') inputs[slot] = 'no_such_value';
        else if (m.how === 'drop') inputs.splice(slot, 1);
        else inputs.push(at(valueNames(model), m.source) ?? 'x');
        node.input = inputs;
        break;
      }
      case 'output': {
        const node = at(nodes, m.node);
        if (!node || !node.output?.length) break;
        node.output[m.slot % node.output.length] = at(valueNames(model), m.source) ?? '';
        break;
      }
      case 'opType': {
        const node = at(nodes, m.node);
        if (node) node.opType = m.op;
        break;
      }
      case 'domain': {
        const node = at(nodes, m.node);
        if (node) node.domain = m.domain;
        break;
      }
      case 'order': {
        if (nodes.length === 0) break;
        const a = m.a % nodes.length;
        const b = m.b % nodes.length;
        if (m.how === 'swap') [nodes[a], nodes[b]] = [nodes[b]!, nodes[a]!];
        else if (m.how === 'drop') nodes.splice(a, 1);
        else nodes.splice(b, 0, onnx.NodeProto.decode(onnx.NodeProto.encode(nodes[a]!).finish()));
        break;
      }
      case 'graphInput': {
        const input = g.input?.[0];
        const dims = input?.type?.tensorType?.shape?.dim;
        if (m.how === 'drop') g.input = (g.input ?? []).slice(1);
        else if (m.how === 'add') g.input = [...(g.input ?? []), onnx.ValueInfoProto.create({ name: `extra${m.dim}`, type: input?.type ?? null })];
        else if (m.how === 'type' && input?.type?.tensorType) input.type.tensorType.elemType = ((m.value % 20) + 20) % 20;
        else if (m.how === 'rank' && dims) dims.splice(m.dim % (dims.length + 1));
        else if (dims && dims.length > 0) {
          const d = dims[m.dim % dims.length]!;
          if (m.how === 'dim') d.dimValue = m.value;
          else {
            d.dimValue = null;
            d.dimParam = 'batch';
          }
        }
        break;
      }
      case 'graphOutput': {
        const outs = g.output ?? [];
        if (m.how === 'drop') g.output = outs.slice(1);
        else if (m.how === 'add') g.output = [...outs, onnx.ValueInfoProto.create({ name: at(valueNames(model), m.source) ?? 'y' })];
        else if (outs[0]) outs[0].name = at(valueNames(model), m.source) ?? '';
        break;
      }
      case 'opset': {
        const entry = model.opsetImport?.[0];
        if (entry) entry.version = m.version;
        break;
      }
    }
  }
  return onnx.ModelProto.encode(model).finish();
}
