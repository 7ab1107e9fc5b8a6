/**
 * The neuron lab against the analytic behaviour of the integrate-and-fire neuron, with every
 * formula written out here (not taken from the code under test):
 *   LIF rate  1 / (t_ref + tau_m ln((R I + E_L - V_reset) / (R I + E_L - V_th))) above the
 *             rheobase g_L (V_th - E_L), 0 below, -> 1 / t_ref for large I;
 *   PIF rate  I / (C (V_th - V_reset)) without refractory period;
 *   RC gain   1 / sqrt(1 + (2 pi f tau_m)^2) of the passive membrane;
 *   noise     stationary variance sigma^2 tau_m / 2 of the free membrane (Ornstein-Uhlenbeck);
 *   adaptation: inter-spike intervals from a plain forward-Euler integration of the ALIF
 *             equations with a step 100 times finer.
 */
import { describe, expect, it } from 'vitest';
import { simulateFi } from '../src/snn/fi-curve.js';
import { passiveGain, simulateTrace } from '../src/snn/membrane-trace.js';
import { initialState, step } from '../src/snn/neuron.js';
import { fromPhysical, type PhysicalNeuron } from '../src/snn/physical.js';

/** C = 0.2 nF, E_L = -70 mV, V_th = -50 mV, V_reset = -65 mV, t_ref = 2 ms; tau_m = 1000 C / g_L ms. */
function lif(tauMs: number, extra: Partial<PhysicalNeuron> = {}): PhysicalNeuron {
  const cNf = 0.2;
  return { model: 'lif', cNf, gLNs: (1000 * cNf) / tauMs, eLMv: -70, vThMv: -50, vResetMv: -65, tRefMs: 2, dtMs: 0.1, timing: 'exact', sigmaMvPerSqrtMs: 0, ...extra };
}

/** R I in mV = 1000 I [nA] / g_L [nS]; rheobase in nA = g_L (V_th - E_L) / 1000. */
function lifRateHz(n: PhysicalNeuron, iNa: number): number {
  const tau = (1000 * n.cNf) / n.gLNs;
  const ri = (1000 * iNa) / n.gLNs;
  if (ri + n.eLMv <= n.vThMv) return 0;
  return 1000 / (n.tRefMs + tau * Math.log((ri + n.eLMv - n.vResetMv) / (ri + n.eLMv - n.vThMv)));
}

const rheobase = (n: PhysicalNeuron): number => (n.gLNs * (n.vThMv - n.eLMv)) / 1000;

describe('LIF f-I curve, deterministic, exact timing', () => {
  const multiples = [1.02, 1.1, 1.5, 2, 3, 5, 10, 30];
  for (const tauMs of [5, 10, 20, 50]) {
    for (const dtMs of [0.1, 0.5]) {
      it(`tau_m = ${tauMs} ms, dt = ${dtMs} ms: rates within 1% of the analytic rate`, () => {
        const n = lif(tauMs, { dtMs });
        const currents = multiples.map((m) => m * rheobase(n));
        const points = simulateFi(n, currents, { durationMs: 3000, seed: 1 });
        points.forEach((p, k) => {
          const expected = lifRateHz(n, currents[k]!);
          expect(expected).toBeGreaterThan(0);
          expect(Math.abs(p.rateHz - expected) / expected).toBeLessThan(0.01);
          // The crossing is located inside the step, so the rate does not depend on dt at all.
          expect(Math.abs(p.rateHz - expected) / expected).toBeLessThan(1e-6);
        });
      });
    }
  }

  it('zero at and below the rheobase', () => {
    for (const tauMs of [5, 20, 50]) {
      const n = lif(tauMs);
      const currents = [-0.5, 0, 0.5, 0.9, 0.99, 1].map((m) => m * rheobase(n));
      for (const p of simulateFi(n, currents, { durationMs: 3000, seed: 1 })) {
        expect(p.spikes).toBe(0);
        expect(p.rateHz).toBe(0);
      }
    }
  });

  it('approaches the ceiling 1 / t_ref for large currents, never above it', () => {
    for (const tRefMs of [1, 2, 5]) {
      const n = lif(20, { tRefMs });
      const ceilingHz = 1000 / tRefMs;
      const points = simulateFi(n, [10, 100, 10_000].map((m) => m * rheobase(n)), { durationMs: 500, seed: 1 });
      for (const p of points) expect(p.rateHz).toBeLessThan(ceilingHz);
      const rates = points.map((p) => p.rateHz);
      expect(rates[1]!).toBeGreaterThan(rates[0]!);
      expect(rates[2]!).toBeGreaterThan(rates[1]!);
      expect(rates[2]! / ceilingHz).toBeGreaterThan(0.99);
    }
  });

  it('with spikes at the end of the step instead, a coarse step errs by more than 1%', () => {
    // What the exact crossing buys: the same neuron with step timing rounds every ISI up to the grid.
    const n = lif(20, { dtMs: 0.5, timing: 'step' });
    const iNa = 10 * rheobase(n);
    const [p] = simulateFi(n, [iNa], { durationMs: 3000, seed: 1 });
    expect(Math.abs(p!.rateHz - lifRateHz(n, iNa)) / lifRateHz(n, iNa)).toBeGreaterThan(0.01);
  });
});

describe('PIF f-I curve', () => {
  it('rate I / (C (V_th - V_reset)) for every I > 0 without refractory period', () => {
    for (const cNf of [0.1, 0.5]) {
      const n: PhysicalNeuron = { ...lif(20), model: 'pif', gLNs: 0, cNf, tRefMs: 0 };
      const currents = [0.005, 0.02, 0.1, 1, 10, 40];
      const points = simulateFi(n, currents, { durationMs: 4000, seed: 1 });
      points.forEach((p, k) => {
        const expected = (1000 * currents[k]!) / (cNf * (n.vThMv - n.vResetMv));
        expect(Math.abs(p.rateHz - expected) / expected).toBeLessThan(0.01);
      });
      // No rheobase: silent only for I <= 0.
      expect(simulateFi(n, [0, -0.1], { durationMs: 1000, seed: 1 }).map((p) => p.spikes)).toEqual([0, 0]);
    }
  });
});

describe('membrane noise', () => {
  const base = lif(20);
  const below = 0.9 * rheobase(base);

  it('10% below the rheobase: zero rate with sigma = 0, non-zero with sigma = 0.5 mV/sqrt(ms)', () => {
    const [silent] = simulateFi(base, [below], { durationMs: 5000, seed: 3 });
    expect(silent!.spikes).toBe(0);
    const [noisy] = simulateFi({ ...base, sigmaMvPerSqrtMs: 0.5 }, [below], { durationMs: 5000, seed: 3 });
    expect(noisy!.spikes).toBeGreaterThan(5);
    expect(noisy!.rateHz).toBeGreaterThan(1);
  });

  it('the same seed gives the same result, another seed another one', () => {
    const n = { ...base, sigmaMvPerSqrtMs: 1 };
    const currents = [0.1, 0.18, 0.25];
    const a = simulateFi(n, currents, { durationMs: 2000, seed: 11 });
    const b = simulateFi(n, currents, { durationMs: 2000, seed: 11 });
    const c = simulateFi(n, currents, { durationMs: 2000, seed: 12 });
    expect(b).toEqual(a);
    expect(c.map((p) => p.rateHz)).not.toEqual(a.map((p) => p.rateHz));
  });

  it('the free membrane fluctuates with the stationary variance sigma^2 tau_m / 2', () => {
    for (const [sigma, tauMs] of [[1, 20], [0.5, 10]] as const) {
      // No threshold within reach: the Ornstein-Uhlenbeck process dV = -(V - E_L) / tau dt + sigma dW.
      const n = lif(tauMs, { sigmaMvPerSqrtMs: sigma, vThMv: 1e6, vResetMv: 0 });
      const p = fromPhysical(n);
      const count = 100;
      const state = initialState(count, n.eLMv, p, { seed: 5, precision: 'float64' });
      const z = new Float64Array(count);
      const out = new Float64Array(count);
      const settle = Math.round((10 * tauMs) / n.dtMs);
      const steps = settle + Math.round(5000 / n.dtMs);
      let sum = 0;
      let sumSq = 0;
      let samples = 0;
      for (let s = 0; s < steps; s++) {
        step(p, state, z, 0, out, 0, count);
        if (s < settle || s % 10 !== 0) continue;
        for (let i = 0; i < count; i++) {
          const u = state.v[i]! - n.eLMv;
          sum += u;
          sumSq += u * u;
          samples++;
        }
      }
      const mean = sum / samples;
      const variance = sumSq / samples - mean * mean;
      expect(Math.abs(mean)).toBeLessThan(0.05 * sigma * Math.sqrt(tauMs / 2));
      expect(Math.abs(variance / ((sigma * sigma * tauMs) / 2) - 1)).toBeLessThan(0.03);
    }
  });
});

describe('adaptation', () => {
  const C = 0.2, gL = 10, EL = -70, Vth = -50, Vr = -65, tRef = 2, gA = 1, b = 1, tauA = 100, EK = -80;
  const alif: PhysicalNeuron = {
    model: 'alif', cNf: C, gLNs: gL, eLMv: EL, vThMv: Vth, vResetMv: Vr, tRefMs: tRef, dtMs: 0.1, timing: 'exact', sigmaMvPerSqrtMs: 0,
    adaptation: { gANs: gA, b, tauAMs: tauA, eKMv: EK },
  };

  /** Forward Euler of C dV/dt = -g_L (V - E_L) - g_a a (V - E_K) + I, tau_a da/dt = -a; returns spike times (ms). */
  function eulerSpikes(iNa: number, durationMs: number, h: number): number[] {
    let v = EL;
    let a = 0;
    let refractoryUntil = -Infinity;
    const spikes: number[] = [];
    const steps = Math.round(durationMs / h);
    for (let k = 0; k < steps; k++) {
      const t = k * h;
      a -= (a / tauA) * h;
      if (t < refractoryUntil - 1e-12) continue;
      // nS mV = pA: divide by 1000 for nA; nA / nF = mV / ms.
      v += ((-gL * (v - EL) - gA * a * (v - EK)) / 1000 + iNa) / C * h;
      if (v >= Vth) {
        spikes.push(t + h);
        v = Vr;
        a += b;
        refractoryUntil = t + h + tRef;
      }
    }
    return spikes;
  }

  const isis = (spikes: number[]): number[] => spikes.slice(1).map((t, k) => t - spikes[k]!);

  for (const iNa of [0.35, 0.5, 1]) {
    it(`I = ${iNa} nA: inter-spike intervals lengthen monotonically to a steady value`, () => {
      const trace = simulateTrace(alif, { kind: 'constant', ampNa: iNa }, 1500, 1);
      const intervals = isis(trace.spikeTimesMs);
      expect(intervals.length).toBeGreaterThan(15);
      // Non-decreasing, up to the sub-microsecond jitter of holding a over a step.
      for (let k = 1; k < intervals.length; k++) expect(intervals[k]! - intervals[k - 1]!).toBeGreaterThan(-1e-5 * intervals[k]!);
      // Clearly adapting: the first interval is much shorter than the last.
      expect(intervals[0]! / intervals.at(-1)!).toBeLessThan(0.9);
      // Steady: the last intervals agree to 1e-4.
      const tail = intervals.slice(-5);
      expect((Math.max(...tail) - Math.min(...tail)) / tail[0]!).toBeLessThan(1e-4);
    });
  }

  it('inter-spike intervals agree with a fine forward-Euler integration of the ALIF equations', () => {
    const iNa = 0.5;
    const reference = isis(eulerSpikes(iNa, 600, 0.001));
    const simulated = isis(simulateTrace(alif, { kind: 'constant', ampNa: iNa }, 600, 1).spikeTimesMs);
    expect(simulated.length).toBe(reference.length);
    simulated.forEach((isi, k) => expect(Math.abs(isi - reference[k]!) / reference[k]!).toBeLessThan(0.005));
    // The f-I curve's steady-state rate is the last interval's.
    const [p] = simulateFi(alif, [iNa], { durationMs: 1200, seed: 1 });
    expect(Math.abs(p!.rateHz - 1000 / reference.at(-1)!) / p!.rateHz).toBeLessThan(0.005);
  });
});

describe('low-pass filtering of the passive membrane', () => {
  it('gain within 1% of 1 / sqrt(1 + (2 pi f tau_m)^2)', () => {
    for (const tauMs of [10, 20, 40]) {
      const freqs = [1, 3, 10, 30, 100, 200];
      const gains = passiveGain(lif(tauMs), freqs);
      gains.forEach((g, k) => {
        const expected = 1 / Math.sqrt(1 + (2 * Math.PI * freqs[k]! * (tauMs / 1000)) ** 2);
        expect(g.freqHz).toBe(freqs[k]);
        expect(Math.abs(g.gain - expected) / expected).toBeLessThan(0.01);
      });
    }
  });
});
