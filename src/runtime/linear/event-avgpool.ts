/**
 * Average pooling driven by input events: every non-zero input adds its value to the windows
 * that hold it, then each touched window is divided by its size. Cost grows with the number of
 * spikes instead of the number of inputs. Only for windows that lie inside the input (no
 * padding, floor mode), where every divisor is kH kW; other pools run on onnxruntime.
 */
import type { PoolNode } from '../../ir/graph.js';
import type { Signal } from '../signal.js';
import { nonZerosOfRow, type LinearOp } from './linear-op.js';
import { InternalError } from '../../errors.js';

export function eventAvgPoolApplies(node: PoolNode): boolean {
  return node.op === 'avgpool' && !node.ceilMode && node.pads.every((p) => p === 0);
}

/** How a spiking layer's neurons map to the windows of the average pool that reads them. */
export interface SpikeWindows {
  /** Output index of the one window holding input i, or -1 (windows do not overlap). */
  window: Int32Array;
  outPer: number;
  /** Cells per window (kH kW). */
  divisor: number;
}

/**
 * The window of each input when the pool's windows do not overlap (stride >= kernel, inside
 * the input); null otherwise. Pooling spikes is then one add per spike.
 */
export function spikeWindows(node: PoolNode, inShape: readonly number[], outShape: readonly number[]): SpikeWindows | null {
  if (!eventAvgPoolApplies(node)) return null;
  const [channels, inH, inW] = inShape as [number, number, number];
  const [, outH, outW] = outShape as [number, number, number];
  const [kH, kW] = node.kernel;
  const [sH, sW] = node.strides;
  if (sH < kH || sW < kW) return null;
  const window = new Int32Array(channels * inH * inW).fill(-1);
  for (let c = 0; c < channels; c++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let y = oy * sH; y < oy * sH + kH; y++) {
          for (let x = ox * sW; x < ox * sW + kW; x++) window[(c * inH + y) * inW + x] = (c * outH + oy) * outW + ox;
        }
      }
    }
  }
  return { window, outPer: channels * outH * outW, divisor: kH * kW };
}

export class EventAvgPool implements LinearOp {
  readonly kind = 'events';
  readonly inPer: number;
  readonly outPer: number;
  /** Non-zero outputs of the last run (they are the windows touched by a positive input). */
  nonZero = 0;
  private readonly inPlane: number;
  private readonly outPlane: number;
  private readonly divisor: number;
  /** For input position p: output positions windowStart[p] .. windowStart[p + 1] in windowOf. */
  private readonly windowStart: Int32Array;
  private readonly windowOf: Int32Array;
  private readonly index: Int32Array;
  private readonly value: Float32Array;
  private readonly touched: Int32Array;
  /** mark[o] === epoch when output o of the current row is in `touched`. */
  private readonly mark: Int32Array;
  private epoch = 0;
  /**
   * Output index of the one window holding input i (-1: none), when windows do not overlap
   * (stride >= kernel); null otherwise. Spikes then take the fast path of runSpikes().
   */
  private readonly windowOfInput: Int32Array | null;

  constructor(node: PoolNode, inShape: readonly number[], outShape: readonly number[]) {
    if (!eventAvgPoolApplies(node)) throw new InternalError(`event average pooling does not apply to ${node.name}`);
    const [channels, inH, inW] = inShape as [number, number, number];
    const [, outH, outW] = outShape as [number, number, number];
    const [kH, kW] = node.kernel;
    const [sH, sW] = node.strides;
    this.inPlane = inH * inW;
    this.outPlane = outH * outW;
    this.inPer = channels * this.inPlane;
    this.outPer = channels * this.outPlane;
    this.divisor = kH * kW;
    const lists: number[][] = Array.from({ length: this.inPlane }, () => []);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let y = oy * sH; y < oy * sH + kH; y++) for (let x = ox * sW; x < ox * sW + kW; x++) lists[y * inW + x]!.push(oy * outW + ox);
      }
    }
    this.windowStart = new Int32Array(this.inPlane + 1);
    lists.forEach((l, p) => (this.windowStart[p + 1] = this.windowStart[p]! + l.length));
    this.windowOf = Int32Array.from(lists.flat());
    this.index = new Int32Array(this.inPer);
    this.value = new Float32Array(this.inPer);
    this.touched = new Int32Array(this.outPer);
    this.mark = new Int32Array(this.outPer);
    this.windowOfInput = spikeWindows(node, inShape, outShape)?.window ?? null;
  }

  /**
   * Spikes (every listed value 1) into windows that do not overlap: one add per spike into
   * its window, the window listed when the add finds it still 0, then each listed window
   * divided by its size. The same sums and quotients as run()'s general path.
   */
  private runSpikes(start: Int32Array, end: Int32Array, list: Int32Array, rows: number, y: Float32Array): void {
    const { outPer, divisor, touched } = this;
    const windowOf = this.windowOfInput!;
    let nonZero = 0;
    for (let r = 0; r < rows; r++) {
      const yBase = r * outPer;
      // Zeroed row by row, right before its adds: the row is then in cache (a whole chunk
      // zeroed first is tens of MB, and every add would miss).
      y.fill(0, yBase, yBase + outPer);
      let t = 0;
      for (let k = start[r]!; k < end[r]!; k++) {
        const o = windowOf[list[k]!]!;
        if (o < 0) continue;
        // Branch-free: whether a window is new is unpredictable (about half of the adds).
        const before = y[yBase + o]!;
        touched[t] = o;
        t += +(before === 0);
        y[yBase + o] = before + 1;
      }
      for (let k = 0; k < t; k++) y[yBase + touched[k]!]! /= divisor;
      nonZero += t;
    }
    this.nonZero = nonZero;
  }

  run(x: Signal, rows: number, y: Float32Array): void {
    const { inPer, outPer, inPlane, outPlane, divisor, windowStart, windowOf, index, value, touched, mark } = this;
    if (x.sparse && !x.sparse.value && this.windowOfInput) {
      this.runSpikes(x.sparse.start, x.sparse.end, x.sparse.index, rows, y);
      return;
    }
    y.fill(0, 0, rows * outPer);
    let nonZero = 0;
    for (let r = 0; r < rows; r++) {
      const yBase = r * outPer;
      const n = nonZerosOfRow(x, r, inPer, index, value);
      let t = 0;
      const epoch = this.nextEpoch();
      for (let k = 0; k < n; k++) {
        const i = index[k]!;
        const c = (i / inPlane) | 0;
        const p = i - c * inPlane;
        const base = c * outPlane;
        for (let j = windowStart[p]!; j < windowStart[p + 1]!; j++) {
          const o = base + windowOf[j]!;
          if (mark[o] !== epoch) {
            mark[o] = epoch;
            touched[t++] = o;
          }
          y[yBase + o] += value[k]!;
        }
      }
      // Sum first, then divide, as a dense average pool does (exact for spikes and 2^k windows).
      for (let k = 0; k < t; k++) {
        const o = yBase + touched[k]!;
        y[o] /= divisor;
        if (y[o] !== 0) nonZero++;
      }
    }
    this.nonZero = nonZero;
  }

  private nextEpoch(): number {
    if (this.epoch === 0x7fffffff) {
      this.mark.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }
}
