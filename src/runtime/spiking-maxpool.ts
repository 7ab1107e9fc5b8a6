/**
 * Spiking max pooling (after Rueckauer et al. 2017): each pooling window passes the spikes of
 * the input neuron with the largest spike count so far. Implemented through the window's
 * largest count M(t) = max_i N_i(t) (counts include step t): the output spikes at step t
 * exactly when M(t) > M(t-1). Counts grow by at most one per step, so the output stays
 * binary, and the output count equals the largest input count at every step: the pooled
 * rate is the maximum of the input rates, as max pooling of the ANN's activations asks.
 * This is the gate "pass the spike of the input with the largest count" with ties broken in
 * favour of an input that spikes now.
 *
 * Signed spikes (net counts that also fall by one): the output is M(t) - M(t-1), which a
 * maximum of counts that each move by at most one per step keeps in {-1, 0, 1}; with binary
 * input it is the rule above.
 */
import type { PoolNode } from '../ir/graph.js';
import type { RuntimeNode } from './runtime-node.js';
import { ensureFloat32, ensureInt32, type Chunk, type Signal } from './signal.js';

export interface MaxPoolGeometry {
  channels: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

/** The pooling over a batch, with the counts carried from one chunk of steps to the next. */
export class SpikingMaxPool implements RuntimeNode {
  private counts: Int32Array = new Int32Array(0);
  private lastMax: Int32Array = new Int32Array(0);
  private out: Float32Array = new Float32Array(0);
  private readonly inPer: number;
  private readonly outPer: number;
  private batch = 0;

  constructor(
    readonly node: PoolNode,
    private readonly g: MaxPoolGeometry,
  ) {
    this.inPer = g.channels * g.inH * g.inW;
    this.outPer = g.channels * g.outH * g.outW;
  }

  begin(batch: number): void {
    this.batch = batch;
    this.counts = ensureInt32(this.counts, batch * this.inPer);
    this.lastMax = ensureInt32(this.lastMax, batch * this.outPer);
    this.counts.fill(0, 0, batch * this.inPer);
    this.lastMax.fill(0, 0, batch * this.outPer);
  }

  run(inputs: readonly Signal[], chunk: Chunk): Signal {
    const r = this.pool(inputs[0]!.data, chunk.steps);
    return { data: r.data, temporal: true, nonZero: r.nonZero };
  }

  /** Spikes [steps][batch][C][H][W] -> output spikes [steps][batch][C][outH][outW] (a reused buffer) and their number. */
  pool(spikes: Float32Array, steps: number): { data: Float32Array; nonZero: number } {
    const { channels, inH, inW, outH, outW } = this.g;
    const { inPer, outPer, batch, counts, lastMax } = this;
    this.out = ensureFloat32(this.out, steps * batch * outPer);
    const out = this.out.subarray(0, steps * batch * outPer);
    out.fill(0);
    const [kH, kW] = this.node.kernel;
    const [sH, sW] = this.node.strides;
    const [padTop, padLeft] = this.node.pads;
    let nonZero = 0;
    for (let t = 0; t < steps; t++) {
      const inBase = t * batch * inPer;
      for (let i = 0; i < batch * inPer; i++) counts[i]! += spikes[inBase + i]!;
      const outBase = t * batch * outPer;
      for (let b = 0; b < batch; b++) {
        for (let c = 0; c < channels; c++) {
          const plane = b * inPer + c * inH * inW;
          for (let oy = 0; oy < outH; oy++) {
            const y0 = Math.max(0, oy * sH - padTop);
            const y1 = Math.min(inH, oy * sH - padTop + kH);
            for (let ox = 0; ox < outW; ox++) {
              const x0 = Math.max(0, ox * sW - padLeft);
              const x1 = Math.min(inW, ox * sW - padLeft + kW);
              let m = 0;
              for (let y = y0; y < y1; y++) {
                const row = plane + y * inW;
                for (let x = x0; x < x1; x++) if (counts[row + x]! > m) m = counts[row + x]!;
              }
              const o = b * outPer + (c * outH + oy) * outW + ox;
              if (m !== lastMax[o]!) {
                out[outBase + o] = m - lastMax[o]!;
                lastMax[o] = m;
                nonZero++;
              }
            }
          }
        }
      }
    }
    return { data: out, nonZero };
  }
}

/**
 * Runs spiking max pooling over `timesteps` steps of `batch` samples. Spikes are laid out
 * [T][batch][C][H][W]; returns output spikes [T][batch][C][outH][outW].
 */
export function spikingMaxPool(
  node: PoolNode,
  g: MaxPoolGeometry,
  spikes: Float32Array,
  timesteps: number,
  batch: number,
): Float32Array {
  const pool = new SpikingMaxPool(node, g);
  pool.begin(batch);
  return pool.pool(spikes, timesteps).data.slice();
}
