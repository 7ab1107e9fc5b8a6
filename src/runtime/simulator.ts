/**
 * The spiking runtime. It runs the converted graph layer by layer over chunks of a few
 * timesteps: a value is static (the same at every step: the constant-current input and
 * anything computed from it alone, computed once per batch) or temporal ([steps][batch][...]
 * for the steps of the current chunk). Each node keeps its state (membranes, max-pool counts)
 * from one chunk to the next, so the memory of a batch grows with the chunk, not with T, and
 * every buffer is reused from chunk to chunk and batch to batch.
 *
 * The pieces: the input encoder (encoders.ts), linear nodes on onnxruntime or event-driven
 * kernels chosen by input density (linear/), spiking layers (neuron-layer.ts, a scan of the
 * neuron step), spiking max pooling, element-wise kernels, and the readout (readout.ts): the
 * graph output accumulated over steps 1..t, so one run gives the prediction at every t.
 */
import type { Graph, Node, PoolNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { ConstantCurrent, PoissonSpikes, type InputEncoder } from './encoders.js';
import { ElementwiseNode } from './elementwise-node.js';
import { LinearNode, type ExecutorKind, type LinearMode } from './linear/linear-node.js';
import { NeuronLayer, type ScanMode } from './neuron-layer.js';
import { MAX_ORT_ROWS } from './linear/ort-linear.js';
import type { OrtOptions } from './ort.js';
import { AccumulatingReadout, SumOverTime } from './readout.js';
import { DEFAULT_RUNTIME, type RuntimeSettings } from './settings.js';
import type { Chunk, Signal } from './signal.js';
import type { BatchStats, LayerActivity, RuntimeNode } from './runtime-node.js';
import { SpikingMaxPool } from './spiking-maxpool.js';
import { spikeWindows } from './linear/event-avgpool.js';
import { FusedAvgPool } from './linear/fused-avgpool.js';

export type { LayerActivity };

export interface BatchResult {
  /** Predicted class at every step: [T][batch]. */
  predictions: Uint16Array;
  /** By spiking node name. */
  activity: Map<string, LayerActivity>;
  /** By linear node name: non-zero input entries summed over steps and samples (synaptic events). */
  inputEvents: Map<string, number>;
  /** Spike counts over all T steps, [batch][neurons], for the spiking nodes asked to capture. */
  counts: Map<string, Float32Array>;
  /** Seconds spent in the simulation of this batch. */
  seconds: number;
}

export interface RunOptions {
  /** Spiking nodes whose per-neuron spike counts the caller wants (calibration, diagnostics). */
  capture?: ReadonlySet<string>;
  /** Dataset index of the batch's first sample: random draws are keyed by it. */
  firstSample?: number;
  /** Stop after the chunk that reaches this many steps (a probe of the input densities); default: all T. */
  maxSteps?: number;
  /** Called with each node's inputs before it runs a chunk (benchmarks of single nodes). */
  tap?: (node: Node, inputs: readonly Signal[], chunk: Chunk) => void;
}

export interface SimOptions extends OrtOptions {
  /** Timesteps simulated per chunk (default 8): memory grows with it; onnxruntime sees chunkSteps x batch rows per call. */
  chunkSteps?: number;
  /** Executors of linear nodes on temporal inputs (default 'auto'). */
  linear?: LinearMode;
  /** Neuron scans: 'fast' (fused scans for plain IF / LIF, default) or 'step' (snn/neuron.ts step(), the reference). */
  scan?: ScanMode;
  /** Seed, encoding, noise, adaptation (default: DEFAULT_RUNTIME). */
  runtime?: RuntimeSettings;
  /** Poisson encoding: spike amplitude s >= max |x| of the preprocessed input (see encoders.ts). */
  inputScale?: number;
  /**
   * Executors decided for the whole run, by linear node name (with linear 'auto'): a node
   * not named here decides on its first temporal chunk from the input density.
   */
  executors?: Readonly<Record<string, ExecutorKind>>;
}

export const DEFAULT_CHUNK_STEPS = 8;

type Executor = RuntimeNode;

export class SnnSimulator {
  private readonly readout: AccumulatingReadout;
  private readonly chunkSteps: number;

  private constructor(
    readonly graph: Graph,
    readonly timesteps: number,
    private readonly shapes: Map<string, number[]>,
    private readonly executors: Executor[],
    /** Nodes whose output is the same at every step (computed once per batch). */
    private readonly isStatic: boolean[],
    private readonly encoder: InputEncoder,
    chunkSteps: number,
  ) {
    this.chunkSteps = Math.min(chunkSteps, timesteps);
    this.readout = new AccumulatingReadout(sizeOf(shapes.get(graph.output)!), timesteps);
  }

  static async create(graph: Graph, timesteps: number, options: SimOptions = {}): Promise<SnnSimulator> {
    const shapes = inferShapes(graph);
    const runtime = options.runtime ?? DEFAULT_RUNTIME;
    const encoder = runtime.encoding === 'poisson' ? new PoissonSpikes(options.inputScale ?? 1, runtime.seed) : new ConstantCurrent();
    const temporal = new Set<string>(encoder.temporal ? [graph.input.name] : []);
    const isStatic: boolean[] = [];
    const executors: Executor[] = [];
    const readers = new Map<string, number>();
    for (const node of graph.nodes) for (const v of node.inputs) readers.set(v, (readers.get(v) ?? 0) + 1);
    const layers = new Map<string, NeuronLayer>();
    for (const [index, node] of graph.nodes.entries()) {
      const nodeTemporal = node.op === 'spike' || node.inputs.some((v) => temporal.has(v));
      if (nodeTemporal) temporal.add(node.output);
      isStatic.push(!nodeTemporal);
      const fused = node.op === 'avgpool' && options.linear !== 'dense' ? fusedPool(node, layers.get(node.inputs[0]!), shapes, readers, graph.output) : null;
      const executor = fused ?? (await executorFor(node, index, shapes, nodeTemporal, runtime, options));
      if (executor instanceof NeuronLayer) layers.set(node.output, executor);
      executors.push(executor);
    }
    // A linear node read only by a spiking layer writes its current into the layer's memory.
    graph.nodes.forEach((node, i) => {
      const producer = executors[graph.nodes.findIndex((n) => n.output === node.inputs[0])];
      if (node.op === 'spike' && producer instanceof LinearNode && readers.get(node.inputs[0]!) === 1) producer.writeInto(executors[i] as NeuronLayer);
    });
    return new SnnSimulator(graph, timesteps, shapes, executors, isStatic, encoder, options.chunkSteps ?? DEFAULT_CHUNK_STEPS);
  }

  /**
   * Bytes per sample of the buffers a batch holds: every node's output for one chunk (one
   * step if static), the membranes, counts and spike lists of spiking layers; to size batches
   * to a memory budget. Independent of T.
   */
  peakBytesPerSample(): number {
    const K = this.chunkSteps;
    let floats = sizeOf(this.graph.input.shape);
    this.graph.nodes.forEach((node, i) => {
      const per = sizeOf(this.shapes.get(node.output)!);
      if (node.op === 'flatten') return;
      floats += per * (this.isStatic[i] ? 1 : K);
      // Membrane, refractory steps, spike counts; the spike list holds at most one entry per output.
      if (node.op === 'spike') floats += 3 * per + K * per;
      if (node.op === 'maxpool' && !this.isStatic[i]) floats += sizeOf(this.shapes.get(node.inputs[0]!)!) + per;
    });
    return floats * 4;
  }

  /**
   * Timesteps per chunk for a batch: chunkSteps, or more for small batches, up to
   * MAX_ORT_ROWS rows (each onnxruntime call costs a fixed overhead: with one sample, eight
   * steps per call made the calls dominate). Such chunks hold no more than a full-size chunk
   * of a batch of MAX_ORT_ROWS / chunkSteps samples.
   */
  stepsFor(batch: number): number {
    return Math.min(this.timesteps, Math.max(this.chunkSteps, Math.floor(MAX_ORT_ROWS / batch)));
  }

  /** The executor each linear node uses for temporal inputs (after a first batch). */
  linearExecutors(): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.executors) if (e.executor !== undefined) out.set(e.node.name, e.executor);
    return out;
  }

  /** The executors decided so far (linear nodes that have seen a temporal chunk), to fix them for other simulators. */
  decidedExecutors(): Record<string, ExecutorKind> {
    const out: Record<string, ExecutorKind> = {};
    for (const e of this.executors) {
      if (e.decided !== undefined && e.decided !== null) out[e.node.name] = e.decided;
    }
    return out;
  }

  /**
   * The cheaper executor of each linear node on temporal inputs at the input densities of a
   * batch's result (its synaptic events over `rows` = T x samples rows), by measured cost
   * (linear/executor-costs.ts).
   */
  executorsAt(inputEvents: ReadonlyMap<string, number>, rows: number): Record<string, ExecutorKind> {
    const out: Record<string, ExecutorKind> = {};
    this.executors.forEach((e, i) => {
      const events = inputEvents.get(e.node.name);
      if (e instanceof LinearNode && !this.isStatic[i] && events !== undefined) out[e.node.name] = e.preferredAt(events / (rows * e.inPer));
    });
    return out;
  }

  async runBatch(x: Float32Array, batch: number, options: RunOptions = {}): Promise<BatchResult> {
    const began = performance.now();
    const T = this.timesteps;
    const nodes = this.graph.nodes;
    const firstSample = options.firstSample ?? 0;
    this.encoder.begin(x, batch, firstSample);
    for (const e of this.executors) e.begin(batch, firstSample);
    this.readout.begin(batch);
    const sums = new Map<string, SumOverTime>();
    nodes.forEach((node) => {
      if (options.capture?.has(node.name) && node.op !== 'spike') sums.set(node.name, new SumOverTime(sizeOf(this.shapes.get(node.output)!)));
    });
    for (const s of sums.values()) s.begin(batch);

    const staticValues = new Map<string, Signal>();
    const K = this.stepsFor(batch);
    const last = Math.min(T, options.maxSteps ?? T);
    for (let t0 = 0; t0 < last; t0 += K) {
      const chunk: Chunk = { batch, t0, steps: Math.min(K, T - t0), timesteps: T };
      const values = new Map(staticValues);
      const input = this.encoder.run(chunk);
      values.set(this.graph.input.name, input);
      if (!input.temporal) staticValues.set(this.graph.input.name, input);
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i]!;
        if (this.isStatic[i] && t0 > 0) continue;
        const inputs = node.inputs.map((v) => values.get(v)!);
        options.tap?.(node, inputs, chunk);
        const out = await this.executors[i]!.run(inputs, chunk);
        values.set(node.output, out);
        if (this.isStatic[i]) staticValues.set(node.output, out);
      }
      for (const [name, s] of sums) s.add(values.get(nodes.find((n) => n.name === name)!.output)!, chunk);
      this.readout.add(values.get(this.graph.output)!, chunk);
    }

    const stats: BatchStats = { activity: new Map(), inputEvents: new Map(), counts: new Map() };
    const capture = options.capture ?? new Set<string>();
    this.executors.forEach((e, i) => e.report?.(stats, T, capture, !this.isStatic[i]));
    for (const [name, s] of sums) stats.counts.set(name, s.view().slice());
    return { predictions: this.readout.result(), ...stats, seconds: (performance.now() - began) / 1000 };
  }

  async release(): Promise<void> {
    for (const e of this.executors) await e.release?.();
  }
}

/**
 * The average pool fused into the spiking layer it reads (NeuronLayer.fusePool), when that
 * layer runs the WebAssembly scan, the pool reads nothing else and nothing else reads the
 * layer's spikes; else null.
 */
function fusedPool(node: PoolNode, layer: NeuronLayer | undefined, shapes: Map<string, number[]>, readers: Map<string, number>, graphOutput: string): FusedAvgPool | null {
  const input = node.inputs[0]!;
  if (layer === undefined || node.inputs.length !== 1 || readers.get(input) !== 1 || input === graphOutput) return null;
  const windows = spikeWindows(node, shapes.get(input)!, shapes.get(node.output)!);
  return windows && layer.fusePool(windows) ? new FusedAvgPool(node, layer) : null;
}

async function executorFor(
  node: Node,
  index: number,
  shapes: Map<string, number[]>,
  temporal: boolean,
  runtime: RuntimeSettings,
  options: SimOptions,
): Promise<Executor> {
  const inShape = shapes.get(node.inputs[0]!)!;
  const outShape = shapes.get(node.output)!;
  switch (node.op) {
    case 'spike':
      return new NeuronLayer(node, sizeOf(outShape), options.scan ?? 'fast', runtime, index);
    case 'maxpool':
      if (temporal) {
        const [channels, inH, inW] = inShape as [number, number, number];
        const [, outH, outW] = outShape as [number, number, number];
        return new SpikingMaxPool(node, { channels, inH, inW, outH, outW });
      }
      return LinearNode.create(node, inShape, outShape, 'dense', options);
    case 'conv':
    case 'dense':
    case 'avgpool':
    case 'globalavgpool':
      return LinearNode.create(node, inShape, outShape, temporal ? (options.linear ?? 'auto') : 'dense', options, options.executors?.[node.name]);
    default:
      return new ElementwiseNode(node, node.inputs.map((v) => sizeOf(shapes.get(v)!)));
  }
}
