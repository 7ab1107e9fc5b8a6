/**
 * A NIR graph as plain data, before it is written to HDF5 (hdf5.ts): what NIR's reference
 * reader (`nir.read`) expects under `/node`. Every node is a group with a `type` string, one
 * dataset per parameter and an optional `metadata` group; the graph holds `nodes` and
 * `edges` (N x 2 strings: source, target). A node with several incoming edges receives the
 * sum of their signals (nirtorch's rule), which is how add and concat are expressed.
 *
 * On disk (as NIR's own writer stores them): strings are variable-length UTF-8, weights and
 * neuron parameters float32, shapes / strides / paddings / dims int64.
 */

/** The layout version this writer follows (NIR 1.0; checked against the nir 1.0.x reader). */
export const NIR_VERSION = '1.0.0';

export type NirValue =
  | { dtype: 'float32'; dims: number[]; data: Float32Array }
  | { dtype: 'float64'; dims: number[]; data: number[] }
  | { dtype: 'int64'; dims: number[]; data: number[] }
  | { dtype: 'string'; value: string };

export type NirType =
  | 'Input'
  | 'Output'
  | 'Affine'
  | 'Linear'
  | 'Scale'
  | 'Conv2d'
  | 'SumPool2d'
  | 'AvgPool2d'
  | 'Flatten'
  | 'I'
  | 'IF'
  | 'LIF';

export interface NirNode {
  type: NirType;
  /** Parameter datasets, named as in NIR (weight, bias, v_threshold, ...). */
  params: Record<string, NirValue>;
  metadata: Record<string, NirValue>;
}

/** What snnc does that the NIR node cannot express; also stored in the node's metadata as `loss_<kind>`. */
export type LossKind = 'reset' | 'refractory' | 'v_init' | 'maxpool' | 'leak' | 'signed';

export interface Loss {
  /** NIR node name. */
  node: string;
  /** The snnc node it came from. */
  source: string;
  type: NirType;
  kind: LossKind;
  message: string;
}

export interface NirDocument {
  version: string;
  /** Insertion order is the order of the snnc graph (topological). */
  nodes: Map<string, NirNode>;
  edges: [string, string][];
  metadata: Record<string, NirValue>;
  losses: Loss[];
}

export const f32 = (dims: readonly number[], data: Float32Array): NirValue => ({ dtype: 'float32', dims: [...dims], data });
/** A float32 array of `dims` with every entry `value` (neuron parameters are per neuron in NIR). */
export const filled = (dims: readonly number[], value: number): NirValue => f32(dims, new Float32Array(count(dims)).fill(value));
export const i64 = (values: readonly number[]): NirValue => ({ dtype: 'int64', dims: [values.length], data: [...values] });
export const i64Scalar = (value: number): NirValue => ({ dtype: 'int64', dims: [], data: [value] });
export const f64Scalar = (value: number): NirValue => ({ dtype: 'float64', dims: [], data: [value] });
export const f64Array = (values: readonly number[]): NirValue => ({ dtype: 'float64', dims: [values.length], data: [...values] });
export const str = (value: string): NirValue => ({ dtype: 'string', value });

export function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
