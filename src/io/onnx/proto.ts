/**
 * ONNX protobuf access through onnx-proto (protobufjs static code generated from onnx.proto).
 * This file only decodes bytes into messages and tensors into typed arrays; the mapping to
 * the IR lives in import.ts and the op table.
 */
import onnxProto from 'onnx-proto';
import { UserError } from '../../errors.js';
import { checkAllocation, defaultMaxMemoryBytes } from '../../util/memory-limit.js';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

const DataType = onnx.TensorProto.DataType;

/** A constant tensor as read from the file: floats, or integers kept as JS numbers (shapes, indices). */
export interface ConstTensor {
  dims: number[];
  kind: 'float' | 'int';
  data: Float32Array | Float64Array;
}

/**
 * Converts a protobufjs int64 (number or Long) to a JS number. Values beyond 2^53 lose
 * precision; exporters only write such values as 'to the end' sentinels (INT64_MAX in Slice),
 * and dims that large fail the size checks anyway.
 */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new UserError(`not a valid ONNX protobuf (${(err as Error).message})`);
  }
  if (!model.graph) throw new UserError('not an ONNX model: no graph in the protobuf');
  return model;
}

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16]);
const INT_TYPES = new Set<number>([
  DataType.INT64,
  DataType.INT32,
  DataType.INT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.UINT16,
  DataType.UINT32,
  DataType.UINT64,
  DataType.BOOL,
]);

/** Bytes per element of raw_data for the supported data types. */
const RAW_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.INT64]: 8,
  [DataType.UINT64]: 8,
  [DataType.INT32]: 4,
  [DataType.UINT32]: 4,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
};

export function dataTypeName(type: number): string {
  return DataType[type] ?? `type ${type}`;
}

/** IEEE 754 half precision to number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function readRaw(raw: Uint8Array, type: number, count: number, out: Float32Array | Float64Array): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case DataType.FLOAT: out[i] = view.getFloat32(i * 4, true); break;
      case DataType.DOUBLE: out[i] = view.getFloat64(i * 8, true); break;
      case DataType.FLOAT16: out[i] = halfToNumber(view.getUint16(i * 2, true)); break;
      case DataType.INT64: out[i] = Number(view.getBigInt64(i * 8, true)); break;
      case DataType.UINT64: out[i] = Number(view.getBigUint64(i * 8, true)); break;
      case DataType.INT32: out[i] = view.getInt32(i * 4, true); break;
      case DataType.UINT32: out[i] = view.getUint32(i * 4, true); break;
      case DataType.INT16: out[i] = view.getInt16(i * 2, true); break;
      case DataType.UINT16: out[i] = view.getUint16(i * 2, true); break;
      case DataType.INT8: out[i] = view.getInt8(i); break;
      case DataType.UINT8:
      case DataType.BOOL: out[i] = view.getUint8(i); break;
    }
  }
}

/**
 * Decodes a TensorProto. The element count from dims is checked against what the message
 * holds, and the decoded size against --max-memory, before any allocation, so a corrupt
 * header cannot make us allocate gigabytes. Float values must be finite (they are weights)
 * unless options.finite is false (test data).
 */
export function decodeTensor(t: TensorProto, what: string, options: { finite?: boolean; maxMemoryBytes?: number } = {}): ConstTensor {
  const dims = (t.dims ?? []).map((d) => toNumber(d));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new UserError(`${what}: invalid dims [${dims.join(',')}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new UserError(`${what}: dims [${dims.join(',')}] describe ${count} elements, too many`);
  const type = t.dataType ?? 0;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new UserError(`${what}: weights stored in external data files are not supported; save the model with the weights inside`);
  }
  const isFloat = FLOAT_TYPES.has(type);
  if (!isFloat && !INT_TYPES.has(type)) {
    throw new UserError(`${what}: data type ${dataTypeName(type)} is not supported (expected FLOAT, DOUBLE, FLOAT16 or an integer type)`);
  }
  const raw = t.rawData;
  const src = raw && raw.length > 0 ? null : pickTyped(t, type);
  if (raw && raw.length > 0) {
    const expected = count * RAW_BYTES[type]!;
    if (raw.length !== expected) {
      throw new UserError(`${what}: raw_data holds ${raw.length} bytes, dims [${dims.join(',')}] of ${dataTypeName(type)} need ${expected}`);
    }
  } else if (src!.length !== count) {
    throw new UserError(`${what}: holds ${src!.length} values, dims [${dims.join(',')}] need ${count}`);
  }
  checkAllocation(count * (isFloat ? 4 : 8), what, options.maxMemoryBytes ?? defaultMaxMemoryBytes());
  const out = isFloat ? new Float32Array(count) : new Float64Array(count);
  if (src === null) readRaw(raw!, type, count, out);
  else {
    for (let i = 0; i < count; i++) {
      const v = src[i]!;
      out[i] = type === DataType.FLOAT16 ? halfToNumber(v as number) : toNumber(v as number);
    }
  }
  if (isFloat && options.finite !== false) {
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(out[i])) throw new UserError(`${what}: value ${i} is ${out[i]} (weights must be finite)`);
    }
  }
  return { dims, kind: isFloat ? 'float' : 'int', data: out };
}

function pickTyped(t: TensorProto, type: number): ArrayLike<number | { toNumber(): number }> {
  switch (type) {
    case DataType.FLOAT: return t.floatData ?? [];
    case DataType.DOUBLE: return t.doubleData ?? [];
    case DataType.INT64: return t.int64Data ?? [];
    case DataType.UINT64:
    case DataType.UINT32: return t.uint64Data ?? [];
    default: return t.int32Data ?? []; // int32, int16, int8, uint8, uint16, bool, float16 bits
  }
}
