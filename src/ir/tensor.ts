import { InternalError } from '../errors.js';

/** A dense float32 tensor in row-major (C) order. The IR keeps every parameter in float32. */
export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function tensor(dims: readonly number[], data?: Float32Array | number[]): Tensor {
  const n = sizeOf(dims);
  const buf = data === undefined ? new Float32Array(n) : data instanceof Float32Array ? data : Float32Array.from(data);
  if (buf.length !== n) throw new InternalError(`tensor: dims [${dims.join(',')}] need ${n} values, got ${buf.length}`);
  return { dims: [...dims], data: buf };
}

export function cloneTensor(t: Tensor): Tensor {
  return { dims: [...t.dims], data: new Float32Array(t.data) };
}

/** Index of the first non-finite value, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

export function shapeString(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}
