/**
 * Messages between the batch driver (runtime/batch-driver.ts) and its simulation workers
 * (sim-worker.ts). Everything crosses by structured clone; inputs and results move their
 * buffers (transferred, not copied).
 */
import type { Graph } from '../../ir/graph.js';
import type { BatchResult, SimOptions } from '../simulator.js';

/** The first message: the graph and options every simulator of the run shares. */
export interface InitMessage {
  kind: 'init';
  graph: Graph;
  timesteps: number;
  options: SimOptions;
}

/** One batch: preprocessed samples [count][...], their dataset index and what to capture. */
export interface BatchMessage {
  kind: 'batch';
  id: number;
  x: Float32Array;
  count: number;
  firstSample: number;
  capture: string[];
}

export interface CloseMessage {
  kind: 'close';
}

export type ToWorker = InitMessage | BatchMessage | CloseMessage;

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; result: BatchResult }
  | { kind: 'error'; id: number | null; message: string; stack?: string }
  | { kind: 'closed' };

/** The buffers of a result that can move instead of being copied. */
export function transferablesOf(r: BatchResult): ArrayBuffer[] {
  const out = [r.predictions.buffer as ArrayBuffer];
  for (const c of r.counts.values()) out.push(c.buffer as ArrayBuffer);
  return out;
}
