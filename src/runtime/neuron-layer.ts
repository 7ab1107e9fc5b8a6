/**
 * A spiking layer over a batch: holds the membranes across the chunks of a run, turns a
 * current (static [batch][n] or temporal [steps][batch][n]) into spikes [steps][batch][n] with
 * the list of neurons that fired in each row, and keeps per-neuron spike counts for the
 * activity report and for callers that capture counts.
 *
 * The plain IF / LIF neuron (neuron-scan.ts says which layers are plain) runs the WebAssembly
 * SIMD scans of wasm/kernels.ts, its state (membranes, refractory steps, counts) living in the
 * kernels' memory, or the JavaScript fused scans of neuron-scan.ts where the kernels are not
 * built (or `scan: 'js'`); any other neuron model (or `scan: 'step'`) runs the shared step()
 * of snn/neuron.ts, one sample at a time with the sample's own noise generator, and a second
 * pass for the counts. All three give the same spikes.
 *
 * Signed spikes (snn/neuron.ts) run, for IF, the native signed scan (native/scan.c) where the
 * library is in use and the JavaScript scanIfRow elsewhere (and for a constant current,
 * which the JavaScript scan restricts to the neurons that may fire); for LIF, step(). The
 * layer's counts are the neurons' net counts; the listed events carry their values (-1 or 1),
 * and so do the dense rows.
 */
import type { SpikeNode } from '../ir/graph.js';
import { mixKey } from '../snn/counter-random.js';
import { fillInitialPotential } from '../snn/initial-potential.js';
import { fromLayerParams, maxRate } from '../snn/layer.js';
import { initialState, isPlain, step, type NeuronParams, type NeuronState } from '../snn/neuron.js';
import { NormalSource } from '../snn/normal.js';
import { predistort, RunningPredistortion } from '../snn/predistort.js';
import type { BatchStats, RuntimeNode } from './runtime-node.js';
import type { RuntimeSettings } from './settings.js';
import { KernelArena } from './wasm/module.js';
import { scansOf, type ScanKernels } from './native/scans.js';
import { nativeKernels, type NativeExports } from './native/addon.js';
import { scanIfRow, scanLifRow, scanVariant, silentUnderConstantCurrent, type ScanBuffers, type ScanRow } from './neuron-scan.js';
import { ensureFloat32, ensureInt32, growFloat32, growInt32, type Chunk, type Signal, type SparseRows } from './signal.js';
import type { SpikeWindows } from './linear/event-avgpool.js';
import { InternalError, UserError } from '../errors.js';

/**
 * 'fast': the WebAssembly SIMD scan for plain IF / LIF layers where the kernels are built,
 * else the JavaScript fused scans; 'js': the JavaScript fused scans; 'step': snn/neuron.ts
 * step() (the reference).
 */
export type ScanMode = 'fast' | 'js' | 'step';

const NOISE_STREAM = 0x401;

export class NeuronLayer implements RuntimeNode {
  private readonly params: NeuronParams;
  private readonly fast: boolean;
  /** The fast scan this layer runs (runtime/neuron-scan.ts decides), or null for step(). */
  private readonly variant: 'if' | 'lif' | null;
  private v: Float32Array = new Float32Array(0);
  private refractory: Int32Array = new Int32Array(0);
  private counts: Int32Array = new Int32Array(0);
  private out: Float32Array = new Float32Array(0);
  private stepOut: Float32Array = new Float32Array(0);
  private events: Int32Array = new Int32Array(0);
  /** Signed spikes: the value (-1 or 1) of each listed event. */
  private eventValues: Float32Array = new Float32Array(0);
  private rowStart: Int32Array = new Int32Array(0);
  private rowEnd: Int32Array = new Int32Array(0);
  /** Neurons that may fire under the batch's constant current, per sample (null: all). */
  private active: { index: Int32Array; start: Int32Array } | null = null;
  private activeIndex: Int32Array = new Int32Array(0);
  private batch = 0;
  private spikes = 0;
  /** Noise generator and adaptation of the step() path, when the runtime asks for them. */
  private extra: Omit<NeuronState, 'v' | 'refractory' | 'noise'> = {};
  /** Membrane noise generators of the step() path, one per sample of the batch. */
  private noise: NormalSource[] = [];
  private distorted: Float32Array = new Float32Array(0);
  /** Pre-distortion of spike-driven currents through their running mean (null: not asked for). */
  private readonly running: RunningPredistortion | null;
  /** A constant current is the same in every chunk of a batch: distorted once, in the first. */
  private staticDistorted = false;
  /** The WebAssembly scan's memory (membranes, refractory steps, counts, current, one row's events), or null. */
  private readonly arena: KernelArena | null;
  /** The native signed scan, for a signed IF layer where the native library is in use. */
  private readonly nativeSigned: NativeExports | null;
  /** The arena's scans: native where the library is in use, else WebAssembly. */
  private readonly scans: ScanKernels | null;
  /** The constant current of the batch has been copied into the arena. */
  private staticLoaded = false;
  /** The average pool this layer's spikes feed, pooled in the arena right after each row's scan (fusePool). */
  private pool: SpikeWindows | null = null;
  /** The pooled output of the last chunk ([steps][batch][pool.outPer], in the arena). */
  private pooledOut: Signal | null = null;
  /** Spikes of the last chunk. */
  chunkSpikes = 0;

  constructor(
    readonly node: SpikeNode,
    /** Neurons per sample. */
    readonly per: number,
    scan: ScanMode,
    private readonly runtime: RuntimeSettings,
    /** Position of the node in the graph: random draws of v(0) and noise are keyed by it. */
    private readonly layerIndex: number,
  ) {
    const { noisePerStep, adaptation } = runtime;
    if (node.neuron.signed && (noisePerStep > 0 || adaptation)) {
      throw new UserError(`layer '${node.name}' has signed spikes, which run without membrane noise or adaptation: drop --noise and --adapt-b`);
    }
    this.params = fromLayerParams(node.neuron, { noisePerStep, ...(adaptation ? { adaptation } : {}) });
    this.variant = scan === 'step' ? null : scanVariant(node.neuron, this.params);
    this.fast = this.variant !== null;
    // Signed spikes carry values the arena's scans do not write: they run on the layer's own
    // arrays, natively where the library is in use (scanFast).
    const signed = this.params.signed === true;
    this.arena = this.fast && scan === 'fast' && !signed ? KernelArena.create() : null;
    this.nativeSigned = this.fast && scan === 'fast' && signed ? nativeKernels() : null;
    this.scans = this.arena && scansOf(this.arena);
    const { predistort: wanted, tRefSteps, vThreshold } = node.neuron;
    this.running = wanted && tRefSteps > 0 ? new RunningPredistortion(vThreshold, tRefSteps) : null;
  }

  /**
   * Pools this layer's spikes into `windows` inside the WebAssembly scan (its only consumer
   * is that average pool, whose node then returns pooledOutput()). False when the layer does
   * not run the WebAssembly scan. Call before the first batch.
   */
  fusePool(windows: SpikeWindows): boolean {
    if (this.arena === null) return false;
    this.pool = windows;
    // Laid out first, before the regions that grow: it never moves.
    this.arena.layout({ window: windows.window.length * 4, touched: windows.outPer * 4 });
    this.arena.i32('window', windows.window.length).set(windows.window);
    return true;
  }

  /**
   * Where a producer may write this layer's input current of `length` values for the next
   * run() (in the WebAssembly arena: the scan then reads it without a copy); null when the
   * layer has no arena or pre-distorts its current.
   */
  currentBuffer(length: number, rows: number): Float32Array | null {
    const arena = this.arena;
    if (arena === null || this.running !== null) return null;
    // Laid out with everything run() lays out, so that run() does not grow the memory.
    const pooled: Record<string, number> = this.pool ? { pooled: rows * this.pool.outPer * 4 } : {};
    if (arena.layout({ z: length * 4, ...pooled })) this.arenaViews(this.batch * this.per);
    return arena.f32('z', length);
  }

  /** The pooled spikes of the last chunk (fusePool). */
  pooledOutput(): Signal {
    if (this.pooledOut === null) throw new InternalError(`${this.node.name}: pooled output read before the layer ran`);
    return this.pooledOut;
  }

  /** Starts a batch: v(0) (fixed or random, plus the per-channel shift), counts 0. */
  begin(batch: number, firstSample = 0): void {
    const n = batch * this.per;
    this.batch = batch;
    if (this.arena) {
      this.arena.layout({ events: this.per * 4, v: n * 4, refractory: n * 4, counts: n * 4, z: 16 });
      this.arenaViews(n);
      this.staticLoaded = false;
    } else {
      this.v = ensureFloat32(this.v, n);
      this.refractory = ensureInt32(this.refractory, n);
      this.counts = ensureInt32(this.counts, n);
    }
    fillInitialPotential(this.v.subarray(0, n), this.node, batch, this.runtime.seed, this.layerIndex, firstSample);
    this.refractory.fill(0, 0, n);
    this.counts.fill(0, 0, n);
    this.active = null;
    this.spikes = 0;
    this.running?.begin(n);
    this.staticDistorted = false;
    if (!isPlain(this.params)) {
      // Exact-timing and adaptation state for the whole batch; one noise generator per sample,
      // keyed by the sample's dataset index (and the layer), so that its draws do not depend on
      // how the dataset is cut into batches or spread over workers.
      const { v: _v, refractory: _r, noise: _n, ...extra } = initialState(n, 0, { ...this.params, noiseStd: 0 });
      this.extra = extra;
      this.noise = this.params.noiseStd
        ? Array.from({ length: batch }, (_, b) => new NormalSource(mixKey(this.runtime.seed, NOISE_STREAM, this.layerIndex, firstSample + b)))
        : [];
    }
  }

  run(inputs: readonly Signal[], chunk: Chunk): Signal {
    const input = inputs[0]!;
    const { batch, steps } = chunk;
    const rows = steps * batch;
    this.rowStart = ensureInt32(this.rowStart, rows);
    this.rowEnd = ensureInt32(this.rowEnd, rows);
    const current = this.distort(input, chunk);
    const spikes = this.arena ? this.scanWasm(current, chunk) : this.fast ? this.scanFast(current, chunk) : this.scanStep(current, chunk);
    this.spikes += spikes;
    this.chunkSpikes = spikes;
    if (this.pool) {
      const name = this.node.name;
      // The spikes went straight into the pool (the layer's only consumer): no list, no dense rows.
      return {
        get data(): Float32Array {
          throw new InternalError(`${name}: spikes pooled in place have no dense rows`);
        },
        temporal: true,
        nonZero: spikes,
      };
    }
    const sparse: SparseRows = { start: this.rowStart.subarray(0, rows), end: this.rowEnd.subarray(0, rows), index: this.events };
    if (this.params.signed) sparse.value = this.eventValues;
    // The dense spikes [steps][batch][n] are built only if a consumer asks for them
    // (onnxruntime does; event-driven kernels read the lists).
    let data: Float32Array | null = null;
    const layer = this;
    return {
      get data(): Float32Array {
        return (data ??= layer.denseSpikes(sparse, rows));
      },
      temporal: true,
      sparse,
      nonZero: spikes,
    };
  }

  /**
   * Refractory pre-distortion of the current (snn/predistort.ts), when the layer asks for it:
   * a constant current element-wise, a time-varying one through its running mean.
   */
  private distort(input: Signal, chunk: Chunk): Signal {
    if (this.running === null) return input;
    const { batch, steps, t0 } = chunk;
    const per = this.per;
    const { tRefSteps, vThreshold } = this.node.neuron;
    const n = (input.temporal ? steps : 1) * batch * per;
    this.distorted = ensureFloat32(this.distorted, n);
    const out = this.distorted.subarray(0, n);
    if (!input.temporal) {
      if (!this.staticDistorted) predistort(input.data.subarray(0, n), vThreshold, tRefSteps, out);
      this.staticDistorted = true;
    } else {
      const z = input.data;
      for (let k = 0; k < steps; k++) {
        for (let b = 0; b < batch; b++) {
          const row = (k * batch + b) * per;
          this.running.step(z, row, out, row, per, t0 + k + 1, b * per);
        }
      }
    }
    return { data: out, temporal: input.temporal };
  }

  private denseSpikes(sparse: SparseRows, rows: number): Float32Array {
    const per = this.per;
    this.out = ensureFloat32(this.out, rows * per);
    const out = this.out.subarray(0, rows * per);
    out.fill(0);
    const { start, end, index, value } = sparse;
    for (let r = 0; r < rows; r++) for (let k = start[r]!; k < end[r]!; k++) out[r * per + index[k]!] = value ? value[k]! : 1;
    return out;
  }

  /** The state's views into the arena (again after its memory grew). */
  private arenaViews(n: number): void {
    const arena = this.arena!;
    this.v = arena.f32('v', n);
    this.refractory = arena.i32('refractory', n);
    this.counts = arena.i32('counts', n);
  }

  /**
   * The WebAssembly scans (wasm/kernels.ts): the current is copied into the arena (a constant
   * one once per batch), then each (sample, step) row runs as one call whose events are
   * appended to the layer's list. Same order of rows as scanFast.
   */
  private scanWasm(current: Signal, chunk: Chunk): number {
    const arena = this.arena!;
    const { batch, steps } = chunk;
    const per = this.per;
    const n = batch * per;
    const zLength = (current.temporal ? steps : 1) * n;
    const pool = this.pool;
    const pooledLength = pool ? steps * batch * pool.outPer : 0;
    // The producer wrote the current straight into the arena (currentBuffer()): no copy.
    const inPlace = current.data.buffer === arena.buffer && current.data.byteOffset === arena.at('z');
    const pooled: Record<string, number> = pool ? { pooled: pooledLength * 4 } : {};
    if (arena.layout({ z: zLength * 4, ...pooled })) this.arenaViews(n);
    if (inPlace) {
      this.staticLoaded = !current.temporal;
    } else if (current.temporal || !this.staticLoaded) {
      arena.f32('z', zLength).set(current.data.subarray(0, zLength));
      this.staticLoaded = !current.temporal;
    }
    const k = this.scans!;
    const p = this.params;
    const plainIf = this.variant === 'if';
    // A constant current into an IF layer: all the chunk's steps of a sample in one call.
    const allSteps = plainIf && !current.temporal;
    if (allSteps && arena.layout({ stepEvents: steps * per * 4, eventCounts: steps * 4, active: per })) this.arenaViews(n);
    const subtract = p.reset === 'subtract' ? 1 : 0;
    const drop = p.vThreshold - p.vReset;
    const zAt = arena.at('z');
    const vAt = arena.at('v');
    const refAt = arena.at('refractory');
    const countsAt = arena.at('counts');
    const eventsAt = arena.at('events');
    const stepEventsAt = allSteps ? arena.at('stepEvents') : 0;
    const eventCounts = allSteps ? arena.i32('eventCounts', steps) : null;
    const pooledAt = pool ? arena.at('pooled') : 0;
    const windowAt = pool ? arena.at('window') : 0;
    const touchedAt = pool ? arena.at('touched') : 0;
    let pooledNonZero = 0;
    let e = 0;
    // Row r's `count` events at byte address `at`: pooled in place, or appended to the layer's list.
    const emit = (r: number, at: number, count: number) => {
      if (pool) {
        pooledNonZero += k.poolSpikes(at, count, windowAt, pool.window.length, pooledAt + r * pool.outPer * 4, pool.outPer, pool.divisor, touchedAt);
        e += count;
        return;
      }
      this.rowStart[r] = e;
      if (count > 0) {
        if (this.events.length < e + count) this.events = growInt32(this.events, e + count);
        this.events.set(arena.i32view(at, count), e);
        e += count;
      }
      this.rowEnd[r] = e;
    };
    for (let b = 0; b < batch; b++) {
      const s = b * per * 4;
      if (allSteps) {
        k.scanIfSteps(zAt + s, vAt + s, countsAt + s, stepEventsAt, arena.at('eventCounts'), per, per, steps, p.vThreshold, drop, subtract, p.vReset, arena.at('active'));
        for (let step = 0; step < steps; step++) emit(step * batch + b, stepEventsAt + step * per * 4, eventCounts![step]!);
        continue;
      }
      for (let step = 0; step < steps; step++) {
        const r = step * batch + b;
        const z = zAt + (current.temporal ? r * per : b * per) * 4;
        const count = plainIf
          ? k.scanIf(z, vAt + s, countsAt + s, eventsAt, per, p.vThreshold, drop, subtract, p.vReset)
          : k.scanLif(z, vAt + s, refAt + s, countsAt + s, eventsAt, per, p.decay, p.gain, p.vRest, p.vThreshold, drop, subtract, p.vReset, p.tRefSteps);
        emit(r, eventsAt, count);
      }
    }
    if (pool) this.pooledOut = { data: arena.f32('pooled', pooledLength), temporal: true, nonZero: pooledNonZero, levels: pool.divisor };
    return e;
  }

  /**
   * Sample by sample, and step by step within a sample, so that a sample's membranes and
   * currents stay in cache over the chunk's steps. Returns the number of spikes.
   */
  private scanFast(current: Signal, chunk: Chunk): number {
    const { batch, steps } = chunk;
    const per = this.per;
    if (!current.temporal && this.active === null) this.active = this.findActive(current.data);
    const signed = this.params.signed === true;
    const buffers: ScanBuffers = { z: current.data, v: this.v, refractory: this.refractory, counts: this.counts, events: this.events, values: this.eventValues };
    const scan = this.variant === 'if' ? scanIfRow : scanLifRow;
    const row: ScanRow = { zOffset: 0, stateOffset: 0 };
    const a = this.active;
    const native = a ? null : this.nativeSigned;
    const p = this.params;
    let e = 0;
    for (let b = 0; b < batch; b++) {
      row.stateOffset = b * per;
      for (let k = 0; k < steps; k++) {
        const r = k * batch + b;
        row.zOffset = current.temporal ? r * per : b * per;
        this.rowStart[r] = e;
        if (buffers.events.length < e + per) buffers.events = this.events = growInt32(this.events, e + per);
        if (signed && buffers.values!.length < e + per) buffers.values = this.eventValues = growFloat32(this.eventValues, e + per);
        if (native !== null) {
          e = native.scanIfSigned(buffers.z, row.zOffset, buffers.v, buffers.counts, row.stateOffset, buffers.events, buffers.values!, e, per, p.vThreshold, p.vThreshold - p.vReset, p.vReset);
        } else {
          e = a ? scan(this.params, buffers, row, per, e, a.index, a.start[b]!, a.start[b + 1]!) : scan(this.params, buffers, row, per, e);
        }
        this.rowEnd[r] = e;
      }
    }
    return e;
  }

  /** The reference path: step() over each timestep of the whole batch, then count and list spikes. */
  private scanStep(current: Signal, chunk: Chunk): number {
    const { batch, steps } = chunk;
    const per = this.per;
    const n = batch * per;
    const { refractoryLeft, spikeTime, adaptation } = this.extra;
    const signed = this.params.signed === true;
    // One state per sample: views of the batch's arrays and the sample's noise generator.
    const states: NeuronState[] = Array.from({ length: batch }, (_, b) => {
      const at = (a: Float64Array | undefined) => a?.subarray(b * per, (b + 1) * per);
      const state: NeuronState = { v: this.v.subarray(b * per, (b + 1) * per), refractory: this.refractory.subarray(b * per, (b + 1) * per) };
      // A signed neuron's rule reads its net count: the layer's counts are that count.
      if (signed) state.net = this.counts.subarray(b * per, (b + 1) * per);
      if (refractoryLeft) state.refractoryLeft = at(refractoryLeft);
      if (spikeTime) state.spikeTime = at(spikeTime);
      if (adaptation) state.adaptation = at(adaptation);
      if (this.noise.length > 0) state.noise = this.noise[b];
      return state;
    });
    this.stepOut = ensureFloat32(this.stepOut, n);
    const out = this.stepOut.subarray(0, n);
    let e = 0;
    for (let k = 0; k < steps; k++) {
      for (let b = 0; b < batch; b++) step(this.params, states[b]!, current.data, (current.temporal ? k * n : 0) + b * per, out, b * per, per);
      for (let b = 0; b < batch; b++) {
        const r = k * batch + b;
        this.rowStart[r] = e;
        this.events = growInt32(this.events, e + per);
        if (signed) this.eventValues = growFloat32(this.eventValues, e + per);
        for (let i = 0; i < per; i++) {
          const s = out[b * per + i]!;
          if (s === 0) continue;
          // step() keeps a signed neuron's net count itself.
          if (!signed) this.counts[b * per + i]!++;
          else this.eventValues[e] = s;
          this.events[e++] = i;
        }
        this.rowEnd[r] = e;
      }
    }
    return e;
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

  report(stats: BatchStats, timesteps: number, capture: ReadonlySet<string>): void {
    stats.activity.set(this.node.name, this.activity(timesteps));
    if (capture.has(this.node.name)) stats.counts.set(this.node.name, this.spikeCounts());
  }

  /** Spike counts of the batch so far, [batch][neurons]. */
  spikeCounts(): Float32Array {
    return Float32Array.from(this.counts.subarray(0, this.batch * this.per));
  }
}
