/**
 * Input encoders: how a batch of preprocessed images enters the spiking network at each step.
 * An encoder is static when its current is the same at every step (then the layers that
 * depend on it alone are computed once per batch, not once per step).
 */
import { mixKey, uniformAt } from '../snn/counter-random.js';
import { ensureFloat32, type Chunk, type Signal } from './signal.js';

export interface InputEncoder {
  /** True when run() gives a temporal value (then nothing downstream is static). */
  readonly temporal: boolean;
  /** `firstSample`: the dataset index of the batch's first sample (random draws are keyed by it). */
  begin(x: Float32Array, batch: number, firstSample: number): void;
  run(chunk: Chunk): Signal;
}

/** The image itself as a constant input current at every step. */
export class ConstantCurrent implements InputEncoder {
  readonly temporal = false;
  private x: Float32Array = new Float32Array(0);

  begin(x: Float32Array): void {
    this.x = x;
  }


  run(): Signal {
    return { data: this.x, temporal: false };
  }
}

const POISSON_STREAM = 0x5e1;

/**
 * Poisson (Bernoulli per step) spikes: input value x becomes spikes of amplitude sign(x) s at
 * rate |x| / s per step, s = `scale` >= max |x|, so that the expected input per step is x.
 * Draws are counter-based (snn/counter-random.ts): spike (sample, i, t) depends only on the
 * seed and those indices, not on the batch split or the chunking.
 */
export class PoissonSpikes implements InputEncoder {
  readonly temporal = true;
  private x: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);
  private keys: Uint32Array = new Uint32Array(0);

  constructor(
    private readonly scale: number,
    private readonly seed: number,
  ) {}

  begin(x: Float32Array, batch: number, firstSample: number): void {
    this.x = x;
    this.keys = Uint32Array.from({ length: batch }, (_, b) => mixKey(this.seed, POISSON_STREAM, firstSample + b));
  }

  run(chunk: Chunk): Signal {
    const { batch, steps, t0 } = chunk;
    const per = this.x.length / batch;
    this.out = ensureFloat32(this.out, steps * batch * per);
    const out = this.out.subarray(0, steps * batch * per);
    out.fill(0);
    for (let b = 0; b < batch; b++) {
      const key = this.keys[b]!;
      for (let i = 0; i < per; i++) {
        const v = this.x[b * per + i]!;
        const p = Math.min(1, Math.abs(v) / this.scale);
        if (p === 0) continue;
        const amplitude = Math.sign(v) * this.scale;
        for (let k = 0; k < steps; k++) {
          if (uniformAt(key, (t0 + k) * per + i) < p) out[(k * batch + b) * per + i] = amplitude;
        }
      }
    }
    return { data: out, temporal: true };
  }
}
