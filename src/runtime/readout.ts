/**
 * Readouts over the timesteps of a batch. The prediction at step t is the argmax of the graph
 * output accumulated over steps 1..t (the membrane of a non-spiking output layer), so one run
 * gives the prediction at every t.
 */
import { argmax } from './ann.js';
import { ensureFloat32, type Chunk, type Signal } from './signal.js';

/** Sum over the steps seen so far of a value, [batch][per] (T times a static value over T steps). */
export class SumOverTime {
  private sum: Float32Array = new Float32Array(0);
  private n = 0;

  constructor(private readonly per: number) {}

  begin(batch: number): void {
    this.n = batch * this.per;
    this.sum = ensureFloat32(this.sum, this.n);
    this.sum.fill(0, 0, this.n);
  }

  add(s: Signal, chunk: Chunk): void {
    const { sum, n } = this;
    for (let k = 0; k < chunk.steps; k++) {
      const base = s.temporal ? k * n : 0;
      for (let i = 0; i < n; i++) sum[i]! += s.data[base + i]!;
    }
  }

  /** The accumulated value (a view, valid until the next begin()). */
  view(): Float32Array {
    return this.sum.subarray(0, this.n);
  }
}

/** argmax of the output accumulated over steps 1..t, for every t: predictions [T][batch]. */
export class AccumulatingReadout {
  private readonly acc: SumOverTime;
  private predictions = new Uint16Array(0);
  private batch = 0;

  constructor(
    private readonly classes: number,
    private readonly timesteps: number,
  ) {
    this.acc = new SumOverTime(classes);
  }

  begin(batch: number): void {
    this.batch = batch;
    this.acc.begin(batch);
    this.predictions = new Uint16Array(this.timesteps * batch);
  }

  add(out: Signal, chunk: Chunk): void {
    const { batch, classes } = this;
    for (let k = 0; k < chunk.steps; k++) {
      // One step at a time, so that the prediction of each step sees the sum up to it.
      this.acc.add({ data: out.temporal ? out.data.subarray(k * batch * classes) : out.data, temporal: false }, { ...chunk, steps: 1 });
      const acc = this.acc.view();
      const t = chunk.t0 + k;
      for (let b = 0; b < batch; b++) this.predictions[t * batch + b] = argmax(acc, b * classes, classes);
    }
  }

  result(): Uint16Array {
    return this.predictions;
  }
}
