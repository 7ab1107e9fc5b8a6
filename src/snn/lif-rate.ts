/**
 * The analytic firing rate of a leaky integrate-and-fire neuron under a constant input, in
 * timestep units (threshold theta, rest 0, membrane time constant tau steps, refractory period
 * k steps). The membrane relaxes towards v_inf = tau z ... precisely, per step
 * v <- a v + z with a = exp(-1 / tau), so v_inf = z / (1 - a), and starting from 0 it reaches
 * theta after
 *
 *   n = tau ln(v_inf / (v_inf - theta))      steps (if v_inf > theta; otherwise never),
 *
 * the classic LIF interspike interval with R I = v_inf. The rate is 1 / (n + k), at most one
 * spike per step and at most 1 / (k + 1). Reset by subtraction keeps the surplus, which this
 * continuous-time n neglects (it is a lower bound on the rate; the gap shrinks as tau grows).
 */
export function lifRate(z: number, tauSteps: number, tRefSteps: number, theta = 1): number {
  const a = Math.exp(-1 / tauSteps);
  const vInf = z / (1 - a);
  if (!(vInf > theta)) return 0;
  const n = tauSteps * Math.log(vInf / (vInf - theta));
  return 1 / (Math.max(1, n) + tRefSteps);
}

/** Rheobase in timestep units: the smallest constant input that ever fires, (1 - a) theta. */
export function lifRheobase(tauSteps: number, theta = 1): number {
  return (1 - Math.exp(-1 / tauSteps)) * theta;
}
