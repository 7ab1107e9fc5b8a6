/**
 * Linear ops of the spiking runtime (conv, dense, pooling on spikes) behind one small
 * interface, so that each node can run on whichever executor is fastest for its input:
 * onnxruntime's dense kernels, or event-driven kernels whose cost grows with the number of
 * non-zero inputs (spikes are binary and mostly zero).
 */
import type { Signal } from '../signal.js';

export interface LinearOp {
  /** Which executor this is, for reports: 'ort', 'sparse', 'pool-events'. */
  readonly kind: string;
  readonly inPer: number;
  readonly outPer: number;
  /**
   * y[r] = f(x[r]) for rows r < rows: x is [rows][inPer], y [rows][outPer] (written whole).
   * Event-driven kernels read x.sparse when the producer lists the non-zero entries.
   */
  run(x: Signal, rows: number, y: Float32Array): void | Promise<void>;
  release?(): Promise<void>;
}

/**
 * Non-zero inputs of one row into (index, value), from the producer's list or by scanning x.
 * Returns how many; `index` and `value` must hold inPer entries.
 */
export function nonZerosOfRow(x: Signal, row: number, inPer: number, index: Int32Array, value: Float32Array): number {
  let n = 0;
  const sparse = x.sparse;
  if (sparse) {
    const { start, end, index: at, value: v } = sparse;
    for (let k = start[row]!; k < end[row]!; k++, n++) {
      index[n] = at[k]!;
      value[n] = v ? v[k]! : 1;
    }
    return n;
  }
  const data = x.data;
  const base = row * inPer;
  for (let i = 0; i < inPer; i++) {
    const v = data[base + i]!;
    if (v !== 0) {
      index[n] = i;
      value[n++] = v;
    }
  }
  return n;
}
