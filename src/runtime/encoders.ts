/**
 * Input encoders: how a batch of preprocessed images enters the spiking network at each step.
 * An encoder is static when its current is the same at every step (then the layers that
 * depend on it alone are computed once per batch, not once per step).
 */
import type { Chunk, Signal } from './signal.js';

export interface InputEncoder {
  /** True when run() gives a temporal value (then nothing downstream is static). */
  readonly temporal: boolean;
  begin(x: Float32Array, batch: number): void;
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
