/**
 * The one interface every node of the spiking runtime implements (linear nodes on
 * onnxruntime or event-driven kernels, spiking layers, spiking max pooling, element-wise
 * nodes), so that the simulator runs a graph without knowing what each node is.
 *
 * Lifetimes: a node owns the buffers of the signal run() returns; they stay valid until the
 * node's next run() or begin() (the simulator reads a value only within the chunk that made
 * it, and a static value only within its batch). State (membranes, counts) lives from
 * begin() to the next begin().
 */
import type { Node } from '../ir/graph.js';
import type { Chunk, Signal } from './signal.js';

/** The executor a linear node runs on temporal inputs: onnxruntime or its event-driven kernel. */
export type ExecutorKind = 'ort' | 'events';

/** Activity of one spiking layer over a batch, summed over samples and steps. */
export interface LayerActivity {
  spikes: number;
  /** Neuron-sample pairs that fired at the highest possible rate (at least floor(T r_max) spikes). */
  saturated: number;
}

/** What nodes report about a batch once its last chunk has run. */
export interface BatchStats {
  /** By spiking node name. */
  activity: Map<string, LayerActivity>;
  /** By linear node name: non-zero temporal inputs summed over steps and samples. */
  inputEvents: Map<string, number>;
  /** Spike counts [batch][neurons] of the spiking nodes asked to capture. */
  counts: Map<string, Float32Array>;
}

export interface RuntimeNode {
  readonly node: Node;
  /** Starts a batch of `batch` samples whose first has dataset index `firstSample`. */
  begin(batch: number, firstSample: number): void;
  /** The node's output for the chunk's steps (or once per batch when every input is static). */
  run(inputs: readonly Signal[], chunk: Chunk): Signal | Promise<Signal>;
  /** Adds the node's figures for the batch: `temporal` tells whether its input changed per step. */
  report?(stats: BatchStats, timesteps: number, capture: ReadonlySet<string>, temporal: boolean): void;
  /** Linear nodes: the executor used on temporal inputs, once decided. */
  readonly decided?: ExecutorKind | null;
  /** Linear nodes: the executor's name for reports ('ort', 'sparse', 'events', 'undecided'). */
  readonly executor?: string;
  release?(): Promise<void>;
}
