/**
 * A spiking layer over a batch: holds the membranes across the chunks of a run, turns a
 * current (static [batch][n] or temporal [steps][batch][n]) into spikes [steps][batch][n] with
 * the list of neurons that fired in each row, and keeps per-neuron spike counts for the
 * activity report and for callers that capture counts.
 *
 * The plain IF / LIF neuron runs the fused scans of neuron-scan.ts; any other neuron model
 * (or `scan: 'step'`) runs the shared step() of snn/neuron.ts and a second pass for the counts.
 */
import type { SpikeNode } from '../ir/graph.js';
import { fromLayerParams, maxRate } from '../snn/layer.js';
import { step, type NeuronParams } from '../snn/neuron.js';
import { isPlainIf, isPlainNeuron, scanIfRow, scanLifRow, silentUnderConstantCurrent, type ScanBuffers } from './neuron-scan.js';
import { ensureFloat32, ensureInt32, growInt32, type Chunk, type Signal } from './signal.js';

export type ScanMode = 'fast' | 'step';

const PLAIN_LAYER_KEYS = new Set(['model', 'vThreshold', 'vReset', 'reset', 'vInitFraction', 'tRefSteps', 'tauSteps']);

export class NeuronLayer {
  private readonly params: NeuronParams;
  private readonly fast: boolean;
  private v: Float32Array = new Float32Array(0);
  private refractory: Int32Array = new Int32Array(0);
  private counts: Int32Array = new Int32Array(0);
  private out: Float32Array = new Float32Array(0);
  private events: Int32Array = new Int32Array(0);
  private rowStart: Int32Array = new Int32Array(0);
  /** Neurons that may fire under the batch's constant current, per sample (null: all). */
  private active: { index: Int32Array; start: Int32Array } | null = null;
  private activeIndex: Int32Array = new Int32Array(0);
  private batch = 0;
  private spikes = 0;

  constructor(
    readonly node: SpikeNode,
    /** Neurons per sample. */
    readonly per: number,
    scan: ScanMode,
  ) {
    this.params = fromLayerParams(node.neuron);
    const plainLayer = Object.keys(node.neuron).every((k) => PLAIN_LAYER_KEYS.has(k)) && ['if', 'lif'].includes(node.neuron.model);
    this.fast = scan === 'fast' && plainLayer && isPlainNeuron(this.params);
  }

  /** Starts a batch: v(0) = vInitFraction vThreshold (+ the per-channel shift), counts 0. */
  begin(batch: number): void {
    const n = batch * this.per;
    this.batch = batch;
    this.v = ensureFloat32(this.v, n);
    this.refractory = ensureInt32(this.refractory, n);
    this.counts = ensureInt32(this.counts, n);
    const { vInitFraction, vThreshold } = this.node.neuron;
    this.v.fill(vInitFraction * vThreshold, 0, n);
    const shift = this.node.vInitShift;
    if (shift) {
      const plane = this.per / shift.length;
      for (let i = 0; i < n; i++) this.v[i]! += shift[Math.floor(i / plane) % shift.length]! * vThreshold;
    }
    this.refractory.fill(0, 0, n);
    this.counts.fill(0, 0, n);
    this.active = null;
    this.spikes = 0;
  }

  run(current: Signal, chunk: Chunk): Signal {
    const { batch, steps } = chunk;
    const per = this.per;
    const n = batch * per;
    this.out = ensureFloat32(this.out, steps * n);
    const out = this.out.subarray(0, steps * n);
    out.fill(0);
    this.rowStart = ensureInt32(this.rowStart, steps * batch + 1);
    if (this.fast) this.scanFast(current, chunk, out);
    else this.scanStep(current, chunk, out);
    const rowStart = this.rowStart.subarray(0, steps * batch + 1);
    const nonZero = rowStart[steps * batch]!;
    this.spikes += nonZero;
    return { data: out, temporal: true, sparse: { rowStart, index: this.events }, nonZero };
  }

  private scanFast(current: Signal, chunk: Chunk, out: Float32Array): void {
    const { batch, steps } = chunk;
    const per = this.per;
    if (!current.temporal && this.active === null) this.active = this.findActive(current.data);
    const buffers: ScanBuffers = { z: current.data, v: this.v, refractory: this.refractory, counts: this.counts, out, events: this.events };
    const scan = isPlainIf(this.params) ? scanIfRow : scanLifRow;
    let e = 0;
    for (let k = 0; k < steps; k++) {
      for (let b = 0; b < batch; b++) {
        const r = k * batch + b;
        this.rowStart[r] = e;
        if (buffers.events.length < e + per) buffers.events = this.events = growInt32(this.events, e + per);
        const row = { zOffset: current.temporal ? r * per : b * per, stateOffset: b * per, outOffset: r * per };
        const a = this.active;
        e = a ? scan(this.params, buffers, row, per, e, a.index, a.start[b]!, a.start[b + 1]!) : scan(this.params, buffers, row, per, e);
      }
    }
    this.rowStart[steps * batch] = e;
  }

  /** The reference path: step() over each timestep of the whole batch, then count and list spikes. */
  private scanStep(current: Signal, chunk: Chunk, out: Float32Array): void {
    const { batch, steps } = chunk;
    const per = this.per;
    const n = batch * per;
    const state = { v: this.v.subarray(0, n), refractory: this.refractory.subarray(0, n) };
    let e = 0;
    for (let k = 0; k < steps; k++) {
      step(this.params, state, current.data, current.temporal ? k * n : 0, out, k * n, n);
      for (let b = 0; b < batch; b++) {
        const r = k * batch + b;
        this.rowStart[r] = e;
        this.events = growInt32(this.events, e + per);
        for (let i = 0; i < per; i++) {
          if (out[r * per + i] !== 0) {
            this.counts[b * per + i]!++;
            this.events[e++] = i;
          }
        }
      }
    }
    this.rowStart[steps * batch] = e;
  }

  private findActive(z: Float32Array): { index: Int32Array; start: Int32Array } {
    const per = this.per;
    const index = (this.activeIndex = ensureInt32(this.activeIndex, this.batch * per));
    const start = new Int32Array(this.batch + 1);
    let m = 0;
    for (let b = 0; b < this.batch; b++) {
      start[b] = m;
      for (let i = 0; i < per; i++) if (!silentUnderConstantCurrent(this.params, this.v[b * per + i]!, z[b * per + i]!)) index[m++] = i;
    }
    start[this.batch] = m;
    return { index, start };
  }

  /** Spikes of the batch so far, and (neuron, sample) pairs at the highest rate over `timesteps` steps. */
  activity(timesteps: number): { spikes: number; saturated: number } {
    const full = Math.floor(timesteps * maxRate(this.node.neuron.tRefSteps));
    let saturated = 0;
    const n = this.batch * this.per;
    for (let i = 0; i < n; i++) if (this.counts[i]! >= full) saturated++;
    return { spikes: this.spikes, saturated };
  }

  /** Spike counts of the batch so far, [batch][neurons]. */
  spikeCounts(): Float32Array {
    return Float32Array.from(this.counts.subarray(0, this.batch * this.per));
  }
}
