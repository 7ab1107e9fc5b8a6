/**
 * One linear node of the spiking graph (conv, dense, average / global average pooling, and
 * max pooling of a static value) with its executors: onnxruntime (dense) always, and where one
 * exists an event-driven kernel whose cost grows with the number of non-zero inputs.
 *
 * Which runs is chosen once per run from the density of the node's input (the fraction of
 * non-zero entries) and the measured cost of each executor (executor-costs.ts): the batch
 * driver measures the densities over the first steps of a probe and imposes its choice on every
 * simulator; a simulator used alone chooses on the first chunk of steps it sees. Choosing once
 * keeps a run's results independent of how a dataset is cut into batches. Static inputs
 * (computed once per batch) always run on onnxruntime.
 */
import type { Node } from '../../ir/graph.js';
import type { OrtOptions } from '../ort.js';
import type { BatchStats, ExecutorKind, RuntimeNode } from '../runtime-node.js';
import { countNonZero, ensureFloat32, rowsOf, type Chunk, type Signal } from '../signal.js';
import { EventAvgPool, eventAvgPoolApplies } from './event-avgpool.js';
import type { LinearOp } from './linear-op.js';
import { OrtLinear } from './ort-linear.js';
import { SparseConv } from './sparse-conv.js';
import { SparseDense } from './sparse-dense.js';
import { NativeConv, NativeDense } from './native-linear.js';
import { WasmConv, WasmDense } from './wasm-linear.js';
import { crossoverDensity, type EventExecutor } from './executor-costs.js';

/** 'auto': choose by input density; 'dense': onnxruntime only (the reference); 'sparse': event-driven wherever it exists. */
export type LinearMode = 'auto' | 'dense' | 'sparse';

export type { ExecutorKind };

/** A node that takes its input current in a buffer of its own (NeuronLayer.currentBuffer). */
export interface CurrentSink {
  currentBuffer(length: number, rows: number): Float32Array | null;
}

const COUNTED_OPS = new Set<Node['op']>(['conv', 'dense', 'avgpool', 'globalavgpool']);

export class LinearNode implements RuntimeNode {
  /** Non-zero inputs seen on temporal inputs in the current batch (synaptic events). */
  inputEvents = 0;
  private out: Float32Array = new Float32Array(0);
  private chosen: LinearOp | null;
  /** The spiking layer that alone reads this node's temporal output, to write it into that layer's memory. */
  private consumer: CurrentSink | null = null;
  /** Whether the temporal inputs seen came with levels (pooled spikes: cheaper event-driven conv). */
  private inputLevels = false;

  private constructor(
    readonly node: Node,
    private readonly dense: LinearOp,
    private readonly events: LinearOp | null,
    mode: LinearMode,
    decided?: ExecutorKind,
  ) {
    this.chosen = mode === 'dense' || !events ? dense : mode === 'sparse' ? events : null;
    // A decision made for the whole run (see runtime/batch-driver.ts) overrides the density rule.
    if (decided !== undefined && mode === 'auto') this.chosen = decided === 'events' && events ? events : dense;
  }

  static async create(node: Node, inShape: number[], outShape: number[], mode: LinearMode, options: OrtOptions, decided?: ExecutorKind): Promise<LinearNode> {
    const dense = await OrtLinear.create(node, inShape, outShape, options);
    return new LinearNode(node, dense, mode === 'dense' ? null : eventKernel(node, inShape, outShape), mode, decided);
  }

  /** Temporal outputs go into `sink`'s buffer (its only reader) instead of this node's own. */
  writeInto(sink: CurrentSink): void {
    this.consumer = sink;
  }

  /** The executor in use for temporal inputs ('ort', 'sparse', 'events'), or 'undecided'. */
  get executor(): string {
    return this.chosen?.kind ?? 'undecided';
  }

  /** The decision in use for temporal inputs, or null before the first temporal chunk. */
  get decided(): ExecutorKind | null {
    return this.chosen === null ? null : this.chosen === this.dense ? 'ort' : 'events';
  }

  begin(): void {
    this.inputEvents = 0;
  }

  async run(inputs: readonly Signal[], chunk: Chunk): Promise<Signal> {
    const x = inputs[0]!;
    const rows = rowsOf(x, chunk);
    const per = this.dense.outPer;
    // Temporal outputs go straight into the reading spiking layer's memory when it offers it.
    const sink = x.temporal ? (this.consumer?.currentBuffer(rows * per, rows) ?? null) : null;
    if (sink === null) this.out = ensureFloat32(this.out, rows * per);
    const y = sink ?? this.out.subarray(0, rows * per);
    if (!x.temporal) {
      await this.dense.run(x, rows, y);
      return { data: y, temporal: false };
    }
    const nonZero = x.nonZero ?? countNonZero(x.data, rows * this.dense.inPer);
    if (this.node.op !== 'maxpool') this.inputEvents += nonZero;
    this.inputLevels ||= x.levels !== undefined;
    const op = (this.chosen ??= this.events && this.preferredAt(nonZero / (rows * this.dense.inPer)) === 'events' ? this.events : this.dense);
    await op.run(x, rows, y);
    return { data: y, temporal: true, ...(op instanceof EventAvgPool ? { nonZero: op.nonZero } : {}) };
  }

  /**
   * The cheaper executor at a temporal input density (executor-costs.ts): average pooling of
   * spikes always on events, conv and dense on events below their crossover density.
   */
  preferredAt(density: number): ExecutorKind {
    const events = this.events;
    if (events === null) return 'ort';
    if (events instanceof EventAvgPool) return 'events';
    return density < crossoverDensity(this.node.op, events.kind as EventExecutor, this.inputLevels) ? 'events' : 'ort';
  }

  /** Values per sample of the node's input. */
  get inPer(): number {
    return this.dense.inPer;
  }

  /** Synaptic events of conv / dense / pooling nodes on temporal inputs. */
  report(stats: BatchStats, _timesteps: number, _capture: ReadonlySet<string>, temporal: boolean): void {
    if (temporal && COUNTED_OPS.has(this.node.op)) stats.inputEvents.set(this.node.name, this.inputEvents);
  }

  async release(): Promise<void> {
    await this.dense.release?.();
  }
}

/** The event-driven kernel for a node, if there is one: native where built, else WebAssembly, else JavaScript. */
function eventKernel(node: Node, inShape: number[], outShape: number[]): LinearOp | null {
  switch (node.op) {
    case 'dense':
      return NativeDense.create(node) ?? WasmDense.create(node) ?? new SparseDense(node);
    case 'conv':
      return node.group === 1 ? (NativeConv.create(node, inShape, outShape) ?? WasmConv.create(node, inShape, outShape) ?? new SparseConv(node, inShape, outShape)) : null;
    case 'avgpool':
      return eventAvgPoolApplies(node) ? new EventAvgPool(node, inShape, outShape) : null;
    default:
      return null;
  }
}
