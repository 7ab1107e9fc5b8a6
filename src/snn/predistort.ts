/**
 * Refractory pre-distortion. With a refractory period of k steps and constant current z, an
 * IF neuron fires at r = z / (theta + k z): the rate map bends and saturates at
 * r_max = 1 / (k + 1) only as z -> infinity. Feeding it z' = theta r / (1 - k r) with
 * r = z / theta instead gives rate r exactly, linear up to r_max (reached at z' = theta).
 * Above r_max the current is shifted to stay continuous (the neuron is saturated anyway).
 *
 * The map is convex and steep near r_max (slope (k + 1)^2 there), so it must see the mean
 * current, not each step's: a spike-driven current comes in bursts, and distorting every
 * burst adds far more than distorting the mean. `RunningPredistortion` feeds the neuron the
 * increments of t f(mean of z over steps 1..t): f(z) at every step for a constant current,
 * and for any current exactly the integral that f asks for at its running mean. (Feeding
 * f(running mean) itself, a smooth drive, was tried: it lags the early transients of the
 * layers before and measured worse on the shipped CNN.)
 */
export function predistortValue(z: number, theta: number, tRefSteps: number): number {
  const k = tRefSteps;
  const rMax = 1 / (k + 1);
  const r = z / theta;
  return r <= 0 ? z : r < rMax ? (theta * r) / (1 - k * r) : theta + (z - theta * rMax);
}

/** predistortValue() of every element (for constant currents). */
export function predistort(z: Float32Array, theta: number, tRefSteps: number, out: Float32Array = new Float32Array(z.length)): Float32Array {
  for (let i = 0; i < z.length; i++) out[i] = predistortValue(z[i]!, theta, tRefSteps);
  return out;
}

/**
 * Pre-distortion of a time-varying current through its running mean, per neuron:
 *   S_t = S_{t-1} + z_t,   D_t = t f(S_t / t),   z'_t = D_t - D_{t-1}
 * so the current integrated up to step t is D_t = t f(mean z), whatever the shape of the
 * bursts; the bursts themselves pass on, scaled by about f'(mean).
 */
export class RunningPredistortion {
  private sum: Float64Array = new Float64Array(0);
  private integrated: Float64Array = new Float64Array(0);

  constructor(
    private readonly theta: number,
    private readonly tRefSteps: number,
  ) {}

  /** Starts a run for `n` neurons (zero history). */
  begin(n: number): void {
    if (this.sum.length < n) {
      this.sum = new Float64Array(n);
      this.integrated = new Float64Array(n);
    } else {
      this.sum.fill(0, 0, n);
      this.integrated.fill(0, 0, n);
    }
  }

  /**
   * One step: `z` and `out` hold `n` neurons from their offsets; `t` is the 1-based step.
   * Neuron j's history sits at `state + j`.
   */
  step(z: Float32Array, zOffset: number, out: Float32Array, outOffset: number, n: number, t: number, state: number): void {
    const { sum, integrated, theta, tRefSteps } = this;
    for (let j = 0; j < n; j++) {
      const s = (sum[state + j] = sum[state + j]! + z[zOffset + j]!);
      const d = t * predistortValue(s / t, theta, tRefSteps);
      out[outOffset + j] = d - integrated[state + j]!;
      integrated[state + j] = d;
    }
  }
}
