/**
 * Refractory pre-distortion. With a refractory period of k steps and constant current z, an
 * IF neuron fires at r = z / (theta + k z): the rate map bends and saturates at
 * r_max = 1 / (k + 1) only as z -> infinity. Feeding it z' = theta r / (1 - k r) with
 * r = z / theta instead gives rate r exactly, linear up to r_max (reached at z' = theta).
 * Above r_max the current is shifted to stay continuous (the neuron is saturated anyway).
 * Exact for constant currents (the first layer); for spike-driven currents it is applied per
 * step, so it is exact in the mean only up to the spread of the current.
 */
export function predistort(z: Float32Array, theta: number, tRefSteps: number, out: Float32Array = new Float32Array(z.length)): Float32Array {
  const k = tRefSteps;
  const rMax = 1 / (k + 1);
  for (let i = 0; i < z.length; i++) {
    const r = z[i]! / theta;
    out[i] = r <= 0 ? z[i]! : r < rMax ? (theta * r) / (1 - k * r) : theta + (z[i]! - theta * rMax);
  }
  return out;
}
