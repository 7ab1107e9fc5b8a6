/**
 * One linear node of the spiking graph (conv, dense, average / global average pooling, and
 * max pooling of a static value) with its executors: onnxruntime (dense) always, and where one
 * exists an event-driven kernel whose cost grows with the number of non-zero inputs.
 *
 * Which runs is chosen once per simulator, on the first chunk of steps it sees, from the
 * measured density of the node's input (the fraction of non-zero entries): below the node
 * kind's crossover density the event-driven kernel is faster (see BENCHMARKS.md for the
 * measurements). Choosing once keeps a simulator's results independent of how a dataset is
 * cut into batches. Static inputs (computed once per batch) always run on onnxruntime.
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
import { WasmConv, WasmDense } from './wasm-linear.js';

/** 'auto': choose by input density; 'dense': onnxruntime only (the reference); 'sparse': event-driven wherever it exists. */
export type LinearMode = 'auto' | 'dense' | 'sparse';

export type { ExecutorKind };

/** A node that takes its input current in a buffer of its own (NeuronLayer.currentBuffer). */
export interface CurrentSink {
  currentBuffer(length: number, rows: number): Float32Array | null;
}

/**
 * Input density below which the event-driven kernel beats onnxruntime, per node kind. The
 * event-driven kernels are scalar JavaScript (about one add per ns); onnxruntime's dense
 * kernels run tens of multiply-adds per ns (AVX2 / AVX-512), so events win only on sparse
 * input. Average pooling of spikes always runs on events (one add per spike and window).
 */
export const CROSSOVER_DENSITY: Readonly<Record<'conv' | 'dense', number>> = { conv: 0.01, dense: 0.02 };

const COUNTED_OPS = new Set<Node['op']>(['conv', 'dense', 'avgpool', 'globalavgpool']);

export class LinearNode implements RuntimeNode {
  /** Non-zero inputs seen on temporal inputs in the current batch (synaptic events). */
  inputEvents = 0;
  private out: Float32Array = new Float32Array(0);
  private chosen: LinearOp | null;
  /** The spiking layer that alone reads this node's temporal output, to write it into that layer's memory. */
  private consumer: CurrentSink | null = null;

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
    this.out = ensureFloat32(this.out, rows * per);
    const y = this.out.subarray(0, rows * per);
    if (!x.temporal) {
      await this.dense.run(x, rows, y);
      return { data: y, temporal: false };
    }
    const nonZero = x.nonZero ?? countNonZero(x.data, rows * this.dense.inPer);
    if (this.node.op !== 'maxpool') this.inputEvents += nonZero;
    const op = (this.chosen ??= this.choose(nonZero / (rows * this.dense.inPer)));
    const out = this.consumer?.currentBuffer(rows * per, rows) ?? y;
    await op.run(x, rows, out);
    return { data: out, temporal: true, ...(op instanceof EventAvgPool ? { nonZero: op.nonZero } : {}) };
  }

  private choose(density: number): LinearOp {
    const events = this.events!;
    if (events instanceof EventAvgPool) return events;
    const crossover = CROSSOVER_DENSITY[this.node.op as 'conv' | 'dense'];
    return density <= crossover ? events : this.dense;
  }

  /** Synaptic events of conv / dense / pooling nodes on temporal inputs. */
  report(stats: BatchStats, _timesteps: number, _capture: ReadonlySet<string>, temporal: boolean): void {
    if (temporal && COUNTED_OPS.has(this.node.op)) stats.inputEvents.set(this.node.name, this.inputEvents);
  }

  async release(): Promise<void> {
    await this.dense.release?.();
  }
}

/** The event-driven kernel for a node, if there is one. */
function eventKernel(node: Node, inShape: number[], outShape: number[]): LinearOp | null {
  switch (node.op) {
    case 'dense':
      return WasmDense.create(node) ?? new SparseDense(node);
    case 'conv':
      return node.group === 1 ? (WasmConv.create(node, inShape, outShape) ?? new SparseConv(node, inShape, outShape)) : null;
    case 'avgpool':
      return eventAvgPoolApplies(node) ? new EventAvgPool(node, inShape, outShape) : null;
    default:
      return null;
  }
}
