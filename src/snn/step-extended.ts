/**
 * The neuron step of neuron.ts with its options: exact spike timing, membrane noise and
 * adaptation (any combination). step() calls this loop instead of the plain one when the
 * params ask for an option; without options both give the same membrane.
 *
 * Over a stretch of r steps with the input and the adaptation conductance held, the membrane
 * obeys (s in steps)
 *
 *   dv/ds = -lambdaL (v - vRest) - q (v - vReversal) + drive,   lambdaL = -ln(decay),
 *                                                             drive = gain z lambdaL / (1 - decay)
 *
 * (drive = gain z for the IF neuron), whose exact solution is, with lambda = lambdaL + q,
 *
 *   v(s) = vInf + (v(0) - vInf) exp(-lambda s),   vInf = (lambdaL vRest + q vReversal + drive) / lambda
 *
 * or v(s) = v(0) + drive s when lambda = 0. q decays with a between steps and is held over a
 * stretch at its value in the stretch's middle (exponential midpoint rule: error O((dt/tau_a)^2)). For a full step without adaptation this is the
 * plain update vRest + decay (v - vRest) + gain z, which is used as is.
 *
 * Exact timing: when v(r) >= vThreshold the crossing time solves v(s) = vThreshold,
 *   s = ln((v(0) - vInf) / (vThreshold - vInf)) / lambda     (IF: s = (vThreshold - v(0)) / drive),
 * the neuron resets there and stays refractory for tRefSteps (fractional) steps; if that ends
 * inside the step, integration resumes for the rest of it. With noise, a crossing that only
 * the noise produced is put at the end of the step (the noise is sampled once per step).
 */
import { invariant } from '../errors.js';
import type { NeuronParams, NeuronState } from './neuron-params.js';

export function stepExtended(
  p: NeuronParams,
  state: NeuronState<Float32Array | Float64Array>,
  z: Float32Array | Float64Array,
  zOffset: number,
  out: Float32Array | Float64Array,
  outOffset: number,
  count: number,
): number {
  const { v, refractory } = state;
  const { decay, gain, vRest, vThreshold, vReset, tRefSteps } = p;
  const drop = vThreshold - vReset;
  invariant(drop > 0, `vReset ${vReset} must be below vThreshold ${vThreshold}`);
  invariant(!p.signed, 'signed spikes run the plain step only (no exact timing, noise or adaptation)');
  const subtract = p.reset === 'subtract';
  const exact = p.timing === 'exact';
  const lambdaL = decay < 1 ? -Math.log(decay) : 0;
  const driveScale = decay < 1 ? (gain * lambdaL) / (1 - decay) : gain;
  const noiseStd = p.noiseStd ?? 0;
  const noise = noiseStd > 0 ? state.noise : undefined;
  invariant(noiseStd <= 0 || noise !== undefined, 'neuron state without a noise generator for params with noise');
  const adaptation = p.adaptation;
  const q = state.adaptation;
  invariant(adaptation === undefined || q !== undefined, 'neuron state without adaptation for params with adaptation');
  const refractoryLeft = state.refractoryLeft;
  const spikeTime = state.spikeTime;
  invariant(!exact || (refractoryLeft !== undefined && spikeTime !== undefined), 'neuron state without exact-timing fields');
  const aDecay = adaptation?.decay ?? 1;
  const aSqrtDecay = Math.sqrt(aDecay);
  const aLogDecay = Math.log(aDecay);
  const aIncrement = adaptation?.increment ?? 0;
  const vReversal = adaptation?.vReversal ?? 0;
  /** Decay factor of q over s steps. */
  const aDecayOver = (s: number): number => (s === 1 ? aDecay : Math.exp(aLogDecay * s));

  let spikes = 0;
  for (let i = 0; i < count; i++) {
    // q at the current time: a decays over every step, refractory or not.
    let qNow = q === undefined ? 0 : q[i]!;
    // Time of this step already spent (in steps).
    let t = 0;
    if (exact) {
      const left = refractoryLeft![i]!;
      if (left >= 1) {
        refractoryLeft![i] = left - 1;
        if (q !== undefined) q[i] = qNow * aDecay;
        out[outOffset + i] = 0;
        continue;
      }
      t = left;
      refractoryLeft![i] = 0;
      if (t > 0) qNow *= aDecayOver(t);
    } else if (refractory[i]! > 0) {
      refractory[i]!--;
      if (q !== undefined) q[i] = qNow * aDecay;
      out[outOffset + i] = 0;
      continue;
    }
    const zi = z[zOffset + i]!;
    const drive = driveScale * zi;
    let vi = v[i]!;
    let fired = 0;
    while (t < 1) {
      const r = 1 - t;
      // q held at its value in the middle of the stretch (second order in dt / tau_a).
      const qMid = qNow === 0 ? 0 : qNow * (r === 1 ? aSqrtDecay : aDecayOver(r / 2));
      const lambda = lambdaL + qMid;
      // vInf is only needed off the plain full step, or at a crossing.
      let vInf = 0;
      let vDet: number;
      if (r === 1 && qMid === 0) {
        vDet = vRest + decay * (vi - vRest) + gain * zi;
      } else if (lambda > 0) {
        vInf = (lambdaL * vRest + qMid * vReversal + drive) / lambda;
        vDet = vInf + (vi - vInf) * Math.exp(-lambda * r);
      } else {
        vDet = vi + drive * r;
      }
      const vEnd = noise === undefined ? vDet : vDet + (r === 1 ? noiseStd : noiseStd * Math.sqrt(r)) * noise.next();
      if (vEnd < vThreshold) {
        vi = vEnd;
        if (qNow !== 0) qNow *= aDecayOver(r);
        break;
      }
      // Spike: where, and at which potential (the surplus a reset by subtraction keeps).
      let crossing = r;
      let vAtSpike = vEnd;
      if (exact && vi >= vThreshold) {
        crossing = 0;
        vAtSpike = vi;
      } else if (exact && vDet >= vThreshold) {
        if (r === 1 && qMid === 0 && lambda > 0) vInf = (lambdaL * vRest + drive) / lambda;
        crossing = crossingTime(vi, vThreshold, lambda, vInf, drive, r);
        vAtSpike = vThreshold;
      }
      vi = subtract ? vAtSpike - drop : vReset;
      if (adaptation !== undefined) qNow = (crossing === 0 ? qNow : qNow * aDecayOver(crossing)) + aIncrement;
      fired++;
      if (!exact) {
        refractory[i] = tRefSteps;
        break;
      }
      const spikeAt = t + crossing;
      spikeTime![i] = spikeAt;
      t = spikeAt + tRefSteps;
      if (t >= 1) {
        refractoryLeft![i] = t - 1;
        if (qNow !== 0 && spikeAt < 1) qNow *= aDecayOver(1 - spikeAt);
        break;
      }
      if (qNow !== 0 && tRefSteps > 0) qNow *= aDecayOver(tRefSteps);
    }
    v[i] = vi;
    if (q !== undefined) q[i] = qNow;
    out[outOffset + i] = fired;
    spikes += fired;
  }
  return spikes;
}

/** Time in (0, r] at which v(s) reaches vThreshold, from v(0) = v0 < vThreshold <= v(r). */
function crossingTime(v0: number, vThreshold: number, lambda: number, vInf: number, drive: number, r: number): number {
  const s = lambda > 0 ? Math.log((v0 - vInf) / (vThreshold - vInf)) / lambda : (vThreshold - v0) / drive;
  // Rounding can put the end-of-step value over the threshold while vInf sits on it.
  if (!Number.isFinite(s) || s > r) return r;
  return s > 0 ? s : 0;
}
