/**
 * The event-driven convolution and dense layer of wasm/linear.ts (WebAssembly SIMD) as linear
 * ops: weights laid out channel-last once, then each run copies slices of rows into the
 * kernels' memory, runs the kernel and copies the outputs back. Their cost grows with the
 * number of non-zero inputs, at about four multiply-adds per instruction (see
 * executor-costs.ts for the measured costs that decide when they run).
 */
import type { ConvNode, DenseNode } from '../../ir/graph.js';
import { InternalError } from '../../errors.js';
import type { Signal } from '../signal.js';
import { KernelArena } from '../wasm/module.js';
import { convPairs, convWeightsChannelLast, denseWeightsTransposed, fillProductTables, tableLevels } from './channel-last.js';
import type { LinearOp } from './linear-op.js';

/** Rows per kernel call: the slice's inputs and outputs stay in the caches between copy and kernel. */
const SLICE_ROWS = 8;

const pad4 = (n: number) => Math.ceil(n / 4) * 4;

abstract class WasmLinear implements LinearOp {
  readonly kind = 'wasm';
  protected constructor(
    protected readonly arena: KernelArena,
    readonly inPer: number,
    readonly outPer: number,
  ) {
    arena.layout({ x: SLICE_ROWS * inPer * 4, y: SLICE_ROWS * outPer * 4 });
  }

  run(signal: Signal, rows: number, y: Float32Array): void {
    const { inPer, outPer, arena } = this;
    const x = signal.data;
    this.prepare(signal);
    const xIn = arena.f32('x', SLICE_ROWS * inPer);
    const yOut = arena.f32('y', SLICE_ROWS * outPer);
    for (let r0 = 0; r0 < rows; r0 += SLICE_ROWS) {
      const n = Math.min(SLICE_ROWS, rows - r0);
      xIn.set(x.subarray(r0 * inPer, (r0 + n) * inPer));
      this.kernel(n);
      y.set(yOut.subarray(0, n * outPer), r0 * outPer);
    }
  }

  /** Runs the kernel on the first `rows` rows of region x into region y. */
  protected abstract kernel(rows: number): void;

  /** Called with each input before its rows run. */
  protected prepare(_signal: Signal): void {}
}

/** Event-driven convolution, group 1 (wasm/linear.ts convEvents). */
export class WasmConv extends WasmLinear {
  private readonly cIn: number;
  private readonly inPlane: number;
  private readonly cOut: number;
  private readonly cOutPad: number;
  private readonly outPlane: number;
  private readonly taps: number;
  /** Levels of the product tables in region 'tables' (0: none; see convEvents), and of the current input. */
  private tableLevels = 0;
  private levels = 0;

  private constructor(arena: KernelArena, node: ConvNode, inShape: readonly number[], outShape: readonly number[]) {
    const [cIn, inH, inW] = inShape as [number, number, number];
    const [cOut, outH, outW] = outShape as [number, number, number];
    const [, , kH, kW] = node.weight.dims as [number, number, number, number];
    const taps = kH * kW;
    const cOutPad = pad4(cOut);
    const inPlane = inH * inW;
    const outPlane = outH * outW;
    const { pairStart, pairs } = convPairs(node, inShape, outShape, cOutPad * 4);
    super(arena, cIn * inPlane, cOut * outPlane);
    this.cIn = cIn;
    this.inPlane = inPlane;
    this.cOut = cOut;
    this.cOutPad = cOutPad;
    this.outPlane = outPlane;
    this.taps = taps;
    arena.layout({
      weights: cIn * taps * cOutPad * 4,
      bias: cOutPad * 4,
      pairStart: pairStart.length * 4,
      pairs: pairs.length * 4,
      lists: inPlane * cIn * 8,
      counts: inPlane * 4,
    });
    convWeightsChannelLast(node, cOutPad, arena.f32('weights', cIn * taps * cOutPad));
    const b = arena.f32('bias', cOutPad);
    b.fill(0);
    b.set(node.bias.data);
    arena.i32('pairStart', pairStart.length).set(pairStart);
    arena.i32('pairs', pairs.length).set(pairs);
  }

  static create(node: ConvNode, inShape: readonly number[], outShape: readonly number[]): WasmConv | null {
    if (node.group !== 1) throw new InternalError(`WebAssembly conv ${node.name} needs group 1, got ${node.group}`);
    const arena = KernelArena.create();
    return arena && new WasmConv(arena, node, inShape, outShape);
  }

  /**
   * Inputs of few levels (pooled spikes) run on product tables (channel-last.ts), kept in
   * region 'tables' until the input's levels change.
   */
  protected override prepare(signal: Signal): void {
    const weights = this.cIn * this.taps * this.cOutPad;
    this.levels = tableLevels(signal.levels ?? 0, weights);
    if (this.levels > 0 && this.levels !== this.tableLevels) {
      this.arena.layout({ tables: this.levels * weights * 4 });
      fillProductTables(this.arena.f32('weights', weights), this.levels, this.arena.f32('tables', this.levels * weights));
      this.tableLevels = this.levels;
    }
  }

  protected kernel(rows: number): void {
    const a = this.arena;
    a.exports.convEvents(
      a.at('x'),
      a.at('y'),
      rows,
      this.cIn,
      this.inPlane,
      this.cOut,
      this.cOutPad,
      this.outPlane,
      this.taps,
      a.at('pairStart'),
      a.at('pairs'),
      a.at(this.levels > 0 ? 'tables' : 'weights'),
      a.at('bias'),
      a.at('lists'),
      a.at('counts'),
      this.levels,
    );
  }
}

/** Event-driven fully connected layer (wasm/linear.ts denseEvents). */
export class WasmDense extends WasmLinear {
  private readonly outPad: number;

  private constructor(arena: KernelArena, node: DenseNode) {
    const [outPer, inPer] = node.weight.dims as [number, number];
    const outPad = pad4(outPer);
    super(arena, inPer, outPer);
    this.outPad = outPad;
    arena.layout({ weights: inPer * outPad * 4, bias: outPad * 4, index: inPer * 4, value: inPer * 4 });
    denseWeightsTransposed(node, outPad, arena.f32('weights', inPer * outPad));
    const b = arena.f32('bias', outPad);
    b.fill(0);
    b.set(node.bias.data);
  }

  static create(node: DenseNode): WasmDense | null {
    const arena = KernelArena.create();
    return arena && new WasmDense(arena, node);
  }

  protected kernel(rows: number): void {
    const a = this.arena;
    a.exports.denseEvents(a.at('x'), a.at('y'), rows, this.inPer, this.outPer, this.outPad, a.at('weights'), a.at('bias'), a.at('index'), a.at('value'));
  }
}
