/**
 * Small element-wise kernels of the spiking runtime, on [rows][channels][plane] float32 data.
 * Each writes into `out` when given (buffers are reused across chunks), else allocates.
 */

/** y[r][c][i] = scale[c] x[r][c][i] + shift[c]. */
export function affine(x: Float32Array, rows: number, scale: Float32Array, shift: Float32Array, out?: Float32Array): Float32Array {
  const channels = scale.length;
  const y = out ?? new Float32Array(x.length);
  const plane = x.length / (rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const base = (r * channels + c) * plane;
      const a = scale[c]!;
      const b = shift[c]!;
      for (let i = 0; i < plane; i++) y[base + i] = a * x[base + i]! + b;
    }
  }
  return y;
}

/**
 * Concatenates along the channel axis: inputs[k] is [rows][per_k] with per_k = channels_k x plane,
 * output [rows][sum of per_k].
 */
export function concatChannels(inputs: readonly Float32Array[], pers: readonly number[], rows: number, out?: Float32Array): Float32Array {
  const outPer = pers.reduce((a, b) => a + b, 0);
  const y = out ?? new Float32Array(rows * outPer);
  for (let r = 0; r < rows; r++) {
    let offset = r * outPer;
    inputs.forEach((x, k) => {
      y.set(x.subarray(r * pers[k]!, (r + 1) * pers[k]!), offset);
      offset += pers[k]!;
    });
  }
  return y;
}

/** Repeats a static [batch][per] signal for every timestep: [T][batch][per]. */
export function repeatOverTime(x: Float32Array, timesteps: number, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(x.length * timesteps);
  for (let t = 0; t < timesteps; t++) y.set(x, t * x.length);
  return y;
}

/** y = a + b element-wise over n values. */
export function addInto(a: Float32Array, b: Float32Array, n: number, out: Float32Array): Float32Array {
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  return out;
}
