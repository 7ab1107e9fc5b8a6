/**
 * The spiking runtime. It runs the converted graph layer by layer over all T timesteps at
 * once: a value is either static (the same at every step: the constant-current input and
 * anything computed from it alone) or temporal, laid out [T][batch][...]. A linear op on a
 * temporal value is one onnxruntime call over T x batch samples; on a static value it runs
 * once (so the first layer's current is computed once, not T times). Spiking layers scan
 * their neuron step (snn/neuron.ts) over T on typed arrays.
 *
 * The readout is the graph output accumulated over steps 1..t (the membrane of a
 * non-spiking output layer), so one run gives the prediction at every t.
 */
import { exportOnnx } from '../io/onnx/export.js';
import type { Graph, Node, PoolNode, SpikeNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { mixKey } from '../snn/counter-random.js';
import { fillInitialPotential } from '../snn/initial-potential.js';
import { fromLayerParams, maxRate } from '../snn/layer.js';
import { initialState, step } from '../snn/neuron.js';
import { predistort } from '../snn/predistort.js';
import { poissonEncode } from './encoders.js';
import { DEFAULT_RUNTIME, type RuntimeSettings } from './settings.js';
import { argmax } from './ann.js';
import { affine, concatChannels, repeatOverTime } from './kernels.js';
import { OrtModel, type OrtOptions } from './ort.js';
import { spikingMaxPool } from './spiking-maxpool.js';

interface Signal {
  data: Float32Array;
  temporal: boolean;
}

/** Activity of one spiking layer over a batch, summed over samples and steps. */
export interface LayerActivity {
  spikes: number;
  /** Neuron-sample pairs that fired at the highest possible rate (at least floor(T r_max) spikes). */
  saturated: number;
}

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
}

export interface SimulatorOptions extends OrtOptions {
  runtime?: RuntimeSettings;
  /** Poisson encoding: spike amplitude s >= max |x| of the preprocessed input (see encoders.ts). */
  inputScale?: number;
}

const ORT_OPS = new Set<Node['op']>(['conv', 'dense', 'avgpool', 'globalavgpool', 'maxpool']);

export class SnnSimulator {
  private constructor(
    readonly graph: Graph,
    readonly timesteps: number,
    private readonly shapes: Map<string, number[]>,
    private readonly sessions: Map<string, OrtModel>,
    private readonly lastUse: Map<string, number>,
    private readonly runtime: RuntimeSettings,
    private readonly inputScale: number,
  ) {}

  static async create(graph: Graph, timesteps: number, options: SimulatorOptions = {}): Promise<SnnSimulator> {
    const shapes = inferShapes(graph);
    const sessions = new Map<string, OrtModel>();
    for (const node of graph.nodes) {
      if (!ORT_OPS.has(node.op)) continue;
      const single: Graph = {
        name: node.name,
        input: { name: 'x', shape: shapes.get(node.inputs[0]!)! },
        output: 'y',
        nodes: [{ ...node, inputs: ['x'], output: 'y' } as Node],
      };
      sessions.set(node.name, await OrtModel.create(exportOnnx(single), options));
    }
    const lastUse = new Map<string, number>();
    graph.nodes.forEach((node, i) => node.inputs.forEach((v) => lastUse.set(v, i)));
    lastUse.set(graph.output, graph.nodes.length);
    return new SnnSimulator(graph, timesteps, shapes, sessions, lastUse, options.runtime ?? DEFAULT_RUNTIME, options.inputScale ?? 1);
  }

  /** Bytes of live values per sample at the peak, to size batches to a memory budget. */
  peakBytesPerSample(): number {
    const temporal = new Set<string>();
    const live = new Map<string, number>([[this.graph.input.name, sizeOf(this.graph.input.shape)]]);
    let peak = 0;
    this.graph.nodes.forEach((node, i) => {
      const isTemporal = node.op === 'spike' || node.inputs.some((v) => temporal.has(v));
      if (isTemporal) temporal.add(node.output);
      live.set(node.output, sizeOf(this.shapes.get(node.output)!) * (isTemporal ? this.timesteps : 1));
      // onnxruntime holds its own copy of input and output while a call runs.
      const inCall = ORT_OPS.has(node.op) ? live.get(node.inputs[0]!)! + live.get(node.output)! : 0;
      peak = Math.max(peak, [...live.values()].reduce((a, b) => a + b, 0) + inCall);
      for (const v of node.inputs) if (this.lastUse.get(v) === i) live.delete(v);
    });
    return peak * 4;
  }

  async runBatch(x: Float32Array, batch: number, options: RunOptions = {}): Promise<BatchResult> {
    const began = performance.now();
    const T = this.timesteps;
    const firstSample = options.firstSample ?? 0;
    const input: Signal =
      this.runtime.encoding === 'poisson'
        ? { data: poissonEncode(x, batch, T, this.inputScale, this.runtime.seed, firstSample), temporal: true }
        : { data: x, temporal: false };
    const values = new Map<string, Signal>([[this.graph.input.name, input]]);
    const activity = new Map<string, LayerActivity>();
    const inputEvents = new Map<string, number>();
    const counts = new Map<string, Float32Array>();
    for (let i = 0; i < this.graph.nodes.length; i++) {
      const node = this.graph.nodes[i]!;
      const inputs = node.inputs.map((v) => values.get(v)!);
      const out = await this.runNode(node, inputs, batch, activity, inputEvents, firstSample);
      if (options.capture?.has(node.name)) counts.set(node.name, sumOverTime(out, T));
      values.set(node.output, out);
      for (const v of node.inputs) if (this.lastUse.get(v) === i) values.delete(v);
    }
    const out = values.get(this.graph.output)!;
    const predictions = readout(out, T, batch, sizeOf(this.shapes.get(this.graph.output)!));
    return { predictions, activity, inputEvents, counts, seconds: (performance.now() - began) / 1000 };
  }

  private async runNode(
    node: Node,
    inputs: Signal[],
    batch: number,
    activity: Map<string, LayerActivity>,
    inputEvents: Map<string, number>,
    firstSample: number,
  ): Promise<Signal> {
    const T = this.timesteps;
    const x = inputs[0]!;
    const rows = x.temporal ? T * batch : batch;
    switch (node.op) {
      case 'spike':
        return this.spikeLayer(node, x, batch, activity, firstSample);
      case 'maxpool':
        if (x.temporal) return { data: spikingMaxPool(node, this.poolGeometry(node), x.data, T, batch), temporal: true };
        return this.ort(node, x, rows);
      case 'conv':
      case 'dense':
      case 'avgpool':
      case 'globalavgpool':
        if (x.temporal) inputEvents.set(node.name, (inputEvents.get(node.name) ?? 0) + countNonZero(x.data));
        return this.ort(node, x, rows);
      case 'affine':
        return { data: affine(x.data, rows, node.scale.data, node.shift.data), temporal: x.temporal };
      case 'flatten':
      case 'relu':
        if (node.op === 'relu') throw new Error(`internal: ReLU ${node.name} left in a converted network`);
        return x;
      case 'add': {
        const [a, b] = alignTime(inputs, T);
        const y = new Float32Array(a!.data.length);
        for (let i = 0; i < y.length; i++) y[i] = a!.data[i]! + b!.data[i]!;
        return { data: y, temporal: a!.temporal };
      }
      case 'concat': {
        const aligned = alignTime(inputs, T);
        const temporal = aligned[0]!.temporal;
        const r = temporal ? T * batch : batch;
        const pers = node.inputs.map((v) => sizeOf(this.shapes.get(v)!));
        return { data: concatChannels(aligned.map((s) => s.data), pers, r), temporal };
      }
    }
  }

  private async ort(node: Node, x: Signal, rows: number): Promise<Signal> {
    const model = this.sessions.get(node.name)!;
    const inShape = this.shapes.get(node.inputs[0]!)!;
    const outputs = await model.run(x.data, rows, inShape);
    return { data: outputs.get('y')!, temporal: x.temporal };
  }

  private poolGeometry(node: PoolNode) {
    const [channels, inH, inW] = this.shapes.get(node.inputs[0]!)! as [number, number, number];
    const [, outH, outW] = this.shapes.get(node.output)! as [number, number, number];
    return { channels, inH, inW, outH, outW };
  }

  /** Scans the neuron step over T: currents [T][batch][n] (or static [batch][n]) -> spikes [T][batch][n]. */
  private spikeLayer(node: SpikeNode, input: Signal, batch: number, activity: Map<string, LayerActivity>, firstSample: number): Signal {
    const T = this.timesteps;
    const n = batch * sizeOf(this.shapes.get(node.output)!);
    const { seed, noisePerStep, adaptation } = this.runtime;
    const params = fromLayerParams(node.neuron, { noisePerStep, ...(adaptation ? { adaptation } : {}) });
    const layerIndex = this.graph.nodes.indexOf(node);
    // Noise draws are sequential per state: seed them by layer and batch position.
    const state = initialState(n, 0, params, { seed: mixKey(seed, layerIndex, firstSample) });
    fillInitialPotential(state.v, node, batch, seed, layerIndex, firstSample);
    const current = node.neuron.predistort && node.neuron.tRefSteps > 0 ? { ...input, data: predistort(input.data, node.neuron.vThreshold, node.neuron.tRefSteps) } : input;
    const out = new Float32Array(T * n);
    const counts = new Int32Array(n);
    let spikes = 0;
    for (let t = 0; t < T; t++) {
      spikes += step(params, state, current.data, current.temporal ? t * n : 0, out, t * n, n);
      for (let i = 0; i < n; i++) counts[i]! += out[t * n + i]!;
    }
    const full = Math.floor(T * maxRate(node.neuron.tRefSteps));
    let saturated = 0;
    for (let i = 0; i < n; i++) if (counts[i]! >= full) saturated++;
    const prev = activity.get(node.name);
    activity.set(node.name, { spikes: spikes + (prev?.spikes ?? 0), saturated: saturated + (prev?.saturated ?? 0) });
    return { data: out, temporal: true };
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
  }
}

/** Makes all signals temporal if any is (a static one repeats over time). */
function alignTime(inputs: Signal[], T: number): Signal[] {
  if (!inputs.some((s) => s.temporal)) return inputs;
  return inputs.map((s) => (s.temporal ? s : { data: repeatOverTime(s.data, T), temporal: true }));
}

/** Sum over the T steps of a temporal signal [T][rest] (or T times a static one). */
function sumOverTime(s: Signal, T: number): Float32Array {
  if (!s.temporal) return s.data.map((v) => v * T);
  const n = s.data.length / T;
  const sum = new Float32Array(n);
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) sum[i]! += s.data[t * n + i]!;
  return sum;
}

function countNonZero(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  return n;
}

/** argmax of the output accumulated over steps 1..t, for every t: [T][batch]. */
function readout(out: Signal, T: number, batch: number, classes: number): Uint16Array {
  const predictions = new Uint16Array(T * batch);
  const acc = new Float32Array(batch * classes);
  for (let t = 0; t < T; t++) {
    const base = out.temporal ? t * batch * classes : 0;
    for (let i = 0; i < batch * classes; i++) acc[i]! += out.data[base + i]!;
    for (let b = 0; b < batch; b++) predictions[t * batch + b] = argmax(acc, b * classes, classes);
  }
  return predictions;
}
