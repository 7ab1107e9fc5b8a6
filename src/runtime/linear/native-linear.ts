/**
 * The event-driven convolution and dense layer of native/linear.c (the machine's C compiler,
 * AVX-512 where the CPU has it) as linear ops: weights laid out channel-last and padded to 16
 * output channels once, then each run hands the rows to the addon as they are (no copy: the
 * addon reads and writes the typed arrays in place, WebAssembly memory included). Same sums in
 * the same order as the WebAssembly kernels (wasm-linear.ts), about four to eight times faster
 * per event (executor-costs.ts).
 */
import type { ConvNode, DenseNode } from '../../ir/graph.js';
import { InternalError } from '../../errors.js';
import { alignedFloat32, nativeKernels, type NativeExports } from '../native/addon.js';
import type { Signal } from '../signal.js';
import { convPairs, convWeightsChannelLast, denseWeightsTransposed, fillProductTables, tableLevels } from './channel-last.js';
import type { LinearOp } from './linear-op.js';

const pad16 = (n: number) => Math.ceil(n / 16) * 16;

/** Event-driven convolution, group 1 (native/linear.c snnc_conv_events). */
export class NativeConv implements LinearOp {
  readonly kind = 'native';
  readonly inPer: number;
  readonly outPer: number;
  private readonly cIn: number;
  private readonly inPlane: number;
  private readonly cOut: number;
  private readonly cOutPad: number;
  private readonly outPlane: number;
  private readonly taps: number;
  /** [cIn][tap][cOutPad] */
  private readonly weights: Float32Array;
  private readonly bias: Float32Array;
  private readonly pairStart: Int32Array;
  /** (input position, tap cOutPad) per tap inside the input, output-major, taps in order. */
  private readonly pairs: Int32Array;
  /** Product tables for inputs of `tableLevels` levels (table j - 1: weights times fround(j / levels)). */
  private tables: Float32Array | null = null;
  private tableLevels = 0;

  private constructor(
    private readonly kernels: NativeExports,
    node: ConvNode,
    inShape: readonly number[],
    outShape: readonly number[],
  ) {
    const [cIn, inH, inW] = inShape as [number, number, number];
    const [cOut, outH, outW] = outShape as [number, number, number];
    const [, , kH, kW] = node.weight.dims as [number, number, number, number];
    this.cIn = cIn;
    this.cOut = cOut;
    this.cOutPad = pad16(cOut);
    this.inPlane = inH * inW;
    this.outPlane = outH * outW;
    this.inPer = cIn * this.inPlane;
    this.outPer = cOut * this.outPlane;
    this.taps = kH * kW;
    ({ pairStart: this.pairStart, pairs: this.pairs } = convPairs(node, inShape, outShape, this.cOutPad));
    this.weights = alignedFloat32(kernels, cIn * this.taps * this.cOutPad);
    convWeightsChannelLast(node, this.cOutPad, this.weights);
    this.bias = new Float32Array(this.cOutPad);
    this.bias.set(node.bias.data);
  }

  /** The native conv, or null when the native kernels are not in use. */
  static create(node: ConvNode, inShape: readonly number[], outShape: readonly number[]): NativeConv | null {
    if (node.group !== 1) throw new InternalError(`native conv ${node.name} needs group 1, got ${node.group}`);
    const kernels = nativeKernels();
    return kernels && new NativeConv(kernels, node, inShape, outShape);
  }

  run(x: Signal, rows: number, y: Float32Array): void {
    const levels = this.tablesFor(x.levels ?? 0);
    const weights = levels > 0 ? this.tables! : this.weights;
    this.kernels.convEvents(x.data, y, rows, this.cIn, this.inPlane, this.cOut, this.cOutPad, this.outPlane, this.taps, this.pairStart, this.pairs, weights, this.bias, levels);
  }

  /**
   * Inputs of few levels (pooled spikes) run on product tables (channel-last.ts), as in the
   * WebAssembly conv. Returns the levels in use (0: multiplies).
   */
  private tablesFor(inputLevels: number): number {
    const levels = tableLevels(inputLevels, this.weights.length);
    if (levels > 0 && levels !== this.tableLevels) {
      this.tables = alignedFloat32(this.kernels, levels * this.weights.length);
      fillProductTables(this.weights, levels, this.tables);
      this.tableLevels = levels;
    }
    return levels;
  }
}

/** Event-driven fully connected layer (native/linear.c snnc_dense_events). */
export class NativeDense implements LinearOp {
  readonly kind = 'native';
  readonly inPer: number;
  readonly outPer: number;
  private readonly outPad: number;
  /** W transposed, [in][outPad]. */
  private readonly weights: Float32Array;
  private readonly bias: Float32Array;

  private constructor(
    private readonly kernels: NativeExports,
    node: DenseNode,
  ) {
    const [outPer, inPer] = node.weight.dims as [number, number];
    this.inPer = inPer;
    this.outPer = outPer;
    this.outPad = pad16(outPer);
    this.weights = alignedFloat32(kernels, inPer * this.outPad);
    denseWeightsTransposed(node, this.outPad, this.weights);
    this.bias = new Float32Array(this.outPad);
    this.bias.set(node.bias.data);
  }

  /** The native dense layer, or null when the native kernels are not in use. */
  static create(node: DenseNode): NativeDense | null {
    const kernels = nativeKernels();
    return kernels && new NativeDense(kernels, node);
  }

  run(x: Signal, rows: number, y: Float32Array): void {
    this.kernels.denseEvents(x.data, y, rows, this.inPer, this.outPer, this.outPad, this.weights, this.bias);
  }
}
