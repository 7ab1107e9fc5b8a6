/** An append-only float32 buffer that doubles its capacity as needed. */
export class GrowableFloat32 {
  private data: Float32Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Float32Array(initialCapacity);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  view(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}
