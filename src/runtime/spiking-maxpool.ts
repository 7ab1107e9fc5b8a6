/**
 * Spiking max pooling (after Rueckauer et al. 2017): each pooling window passes the spikes of
 * the input neuron with the largest spike count so far. Implemented through the window's
 * largest count M(t) = max_i N_i(t) (counts include step t): the output spikes at step t
 * exactly when M(t) > M(t-1). Counts grow by at most one per step, so the output stays
 * binary, and the output count equals the largest input count at every step: the pooled
 * rate is the maximum of the input rates, as max pooling of the ANN's activations asks.
 * This is the gate "pass the spike of the input with the largest count" with ties broken in
 * favour of an input that spikes now.
 */
import type { PoolNode } from '../ir/graph.js';

export interface MaxPoolGeometry {
  channels: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
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
  const { channels, inH, inW, outH, outW } = g;
  const inPer = channels * inH * inW;
  const outPer = channels * outH * outW;
  const counts = new Int32Array(batch * inPer);
  const lastMax = new Int32Array(batch * outPer);
  const out = new Float32Array(timesteps * batch * outPer);
  const [kH, kW] = node.kernel;
  const [sH, sW] = node.strides;
  const [padTop, padLeft] = node.pads;
  for (let t = 0; t < timesteps; t++) {
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
            if (m > lastMax[o]!) {
              out[outBase + o] = 1;
              lastMax[o] = m;
            }
          }
        }
      }
    }
  }
  return out;
}
