/**
 * Values flowing through the spiking runtime. The simulator runs T timesteps in chunks of a
 * few steps; a value is static (the same at every step: [batch][per], e.g. the constant
 * input current and what is computed from it alone) or temporal, holding the steps of the
 * current chunk: [steps][batch][per]. A row is one (step, sample) pair.
 */

/** Non-zero entries of each row of a temporal value, in increasing index order within a row. */
export interface SparseRows {
  /** Entries of row r are index[start[r] .. end[r]). */
  start: Int32Array;
  end: Int32Array;
  /** Position of the entry within its row, 0..per-1. */
  index: Int32Array;
  /** Values of the entries; absent when they are all 1 (spikes). */
  value?: Float32Array;
}

export interface Signal {
  /** The values (a getter may build them on first use when `sparse` is given). */
  readonly data: Float32Array;
  temporal: boolean;
  /** The non-zero entries, when the producer knows them for free (spikes). */
  sparse?: SparseRows;
  /** How many entries are non-zero, when the producer knows it for free. */
  nonZero?: number;
  /**
   * Every value is j / levels, rounded to float32, for an integer j in 0 .. levels (average
   * pooled spikes: levels = cells per window), when the producer knows it.
   */
  levels?: number;
}

/** The timesteps [t0, t0 + steps) of a batch of `batch` samples simulated for `timesteps` steps. */
export interface Chunk {
  batch: number;
  t0: number;
  steps: number;
  timesteps: number;
}

/** Rows of a signal in a chunk: one per sample if static, one per (step, sample) if temporal. */
export function rowsOf(s: { temporal: boolean }, chunk: Chunk): number {
  return s.temporal ? chunk.steps * chunk.batch : chunk.batch;
}

/** A buffer of at least `n` values: `buf` itself when large enough (buffers are reused across chunks and batches). */
export function ensureFloat32(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(Math.max(n, Math.ceil(buf.length * 1.5)));
}

export function ensureInt32(buf: Int32Array, n: number): Int32Array {
  return buf.length >= n ? buf : new Int32Array(Math.max(n, Math.ceil(buf.length * 1.5)));
}

/** Like ensureInt32, keeping the contents when it has to grow (for lists filled incrementally). */
export function growInt32(buf: Int32Array, n: number): Int32Array {
  if (buf.length >= n) return buf;
  const bigger = new Int32Array(Math.max(n, buf.length * 2));
  bigger.set(buf);
  return bigger;
}

/** Like growInt32, for float lists. */
export function growFloat32(buf: Float32Array, n: number): Float32Array {
  if (buf.length >= n) return buf;
  const bigger = new Float32Array(Math.max(n, buf.length * 2));
  bigger.set(buf);
  return bigger;
}

/** Number of non-zero values (synaptic events when `data` holds spikes or pooled spikes). */
export function countNonZero(data: Float32Array, n = data.length): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (data[i] !== 0) count++;
  return count;
}
