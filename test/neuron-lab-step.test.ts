/**
 * One neuron for the converted SNN and the lab: the step's options against hand-computed
 * sequences, and the converter's neuron (timestep units, snn/layer.ts) against the lab's
 * (physical units, snn/physical.ts) on the same input, with the unit conversion written out
 * here: u = (V - E_L) / (V_th - E_L), z = (1 - exp(-dt / tau_m)) R I / (V_th - E_L).
 */
import { describe, expect, it } from 'vitest';
import type { NeuronLayerParams } from '../src/ir/graph.js';
import { fromLayerParams } from '../src/snn/layer.js';
import { NormalSource } from '../src/snn/normal.js';
import { initialState, isPlain, step, type NeuronParams } from '../src/snn/neuron.js';
import { fromPhysical, type PhysicalNeuron } from '../src/snn/physical.js';

function run(p: NeuronParams, inputs: number[], v0 = 0) {
  const state = initialState(1, v0, p, { seed: 1, precision: 'float64' });
  const out = new Float64Array(1);
  const v: number[] = [];
  const spikes: number[] = [];
  const times: number[] = [];
  inputs.forEach((z, s) => {
    step(p, state, Float64Array.of(z), 0, out, 0, 1);
    v.push(Number(state.v[0]!.toFixed(9)));
    spikes.push(out[0]!);
    if (out[0]! > 0) times.push(Number((s + (state.spikeTime?.[0] ?? 1)).toFixed(9)));
  });
  return { v, spikes, times };
}

const IF: NeuronParams = { decay: 1, gain: 1, vRest: 0, vThreshold: 1, vReset: 0, reset: 'zero', tRefSteps: 0, timing: 'exact' };

describe('exact spike timing, hand-computed', () => {
  it('IF: the crossing inside the step, integration resumes after it', () => {
    // z = 0.4 per step: v reaches 1 at 2.5 steps; the remaining half step brings 0.2; the next
    // crossing is at the end of the fifth step.
    const r = run(IF, [0.4, 0.4, 0.4, 0.4, 0.4, 0.4]);
    expect(r.times).toEqual([2.5, 5]);
    expect(r.spikes).toEqual([0, 0, 1, 0, 1, 0]);
    expect(r.v).toEqual([0.4, 0.8, 0.2, 0.6, 0, 0.4]);
  });

  it('IF: a fractional refractory period of 1.25 steps', () => {
    // Spike at 2.5, refractory until 3.75: step 4 integrates its last quarter (0.1).
    const r = run({ ...IF, tRefSteps: 1.25 }, [0.4, 0.4, 0.4, 0.4, 0.4]);
    expect(r.times).toEqual([2.5]);
    expect(r.v).toEqual([0.4, 0.8, 0, 0.1, 0.5]);
  });

  it('IF: with a refractory period shorter than the step, a step may hold several spikes', () => {
    // z = 3.2 per step, no refractory: crossings at 0.3125, 0.625, 0.9375, then 0.0625 of a
    // step brings 0.2; from there at 1.25, 1.5625, 1.875, and 0.125 of a step brings 0.4.
    const r = run(IF, [3.2, 3.2]);
    expect(r.spikes).toEqual([3, 3]);
    expect(r.times).toEqual([0.9375, 1.875]);
    expect(r.v).toEqual([0.2, 0.4]);
  });

  it('LIF: the crossing time solves the exponential solution', () => {
    // tau = 10 steps, drive such that v_inf = 2: v(s) = 2 (1 - exp(-s / 10)) = 1 at s = 10 ln 2.
    const decay = Math.exp(-1 / 10);
    const p: NeuronParams = { ...IF, decay, gain: 1, tRefSteps: 2 };
    const z = 2 * (1 - decay);
    const r = run(p, Array(20).fill(z));
    const t1 = 10 * Math.log(2);
    expect(r.times[0]).toBeCloseTo(t1, 9);
    // After the reset to 0 and 2 steps of refractory, the same climb again.
    expect(r.times[1]).toBeCloseTo(2 * t1 + 2, 9);
  });
});

describe('noise and adaptation in step timing, hand-computed', () => {
  it('noise adds noiseStd times the seeded normal draw to each integrating step', () => {
    const p: NeuronParams = { decay: 1, gain: 1, vRest: 0, vThreshold: 100, vReset: 0, reset: 'zero', tRefSteps: 0, noiseStd: 0.3 };
    const normals = new NormalSource(1);
    let v = 0;
    const expected = [0.1, 0.2, -0.1].map((z) => (v += z + 0.3 * normals.next()));
    expect(run(p, [0.1, 0.2, -0.1]).v).toEqual(expected.map((x) => Number(x.toFixed(9))));
  });

  it('adaptation pulls the membrane towards vReversal with the mid-step conductance', () => {
    // IF, threshold 1, z = 1.2: spike at step 1, q = 0.5; step 2 holds q sqrt(0.5) over the step.
    const p: NeuronParams = { ...IF, timing: 'step', adaptation: { decay: 0.5, increment: 0.5, vReversal: -1 } };
    const r = run(p, [1.2, 0.3]);
    const q = 0.5 * Math.sqrt(0.5);
    const vInf = (q * -1 + 0.3) / q;
    expect(r.spikes).toEqual([1, 0]);
    expect(r.v[1]).toBeCloseTo(vInf + (0 - vInf) * Math.exp(-q), 9);
  });
});

describe('the converted SNN and the lab run the same neuron', () => {
  // Lab: tau_m = 20 ms, t_ref = 3 ms, dt = 1 ms, V_reset = E_L. Converter: tau = 20 steps, t_ref = 3 steps, threshold 1, reset to 0.
  const lab: PhysicalNeuron = { model: 'lif', cNf: 0.2, gLNs: 10, eLMv: -70, vThMv: -50, vResetMv: -70, tRefMs: 3, dtMs: 1, timing: 'step', sigmaMvPerSqrtMs: 0 };
  const layer: NeuronLayerParams = { model: 'lif', vThreshold: 1, vReset: 0, reset: 'zero', vInitFraction: 0, tRefSteps: 3, tauSteps: 20 };
  const scaleMv = lab.vThMv - lab.eLMv;
  const zPerNa = ((1 - Math.exp(-lab.dtMs / 20)) * (1000 / lab.gLNs)) / scaleMv;
  const currentsNa = Array.from({ length: 400 }, (_, t) => 0.15 + 0.5 * Math.abs(Math.sin(0.37 * t)) + 0.1 * Math.sin(1.91 * t));

  function both(labNeuron: PhysicalNeuron, layerParams: NeuronParams, seed: number) {
    const labParams = fromPhysical(labNeuron);
    const a = initialState(1, labNeuron.eLMv, labParams, { seed, precision: 'float64' });
    const b = initialState(1, 0, layerParams, { seed, precision: 'float64' });
    const outA = new Float64Array(1);
    const outB = new Float64Array(1);
    const spikesA: number[] = [];
    const spikesB: number[] = [];
    let worst = 0;
    currentsNa.forEach((iNa, t) => {
      step(labParams, a, Float64Array.of(iNa), 0, outA, 0, 1);
      step(layerParams, b, Float64Array.of(iNa * zPerNa), 0, outB, 0, 1);
      if (outA[0]) spikesA.push(t + (a.spikeTime?.[0] ?? 1));
      if (outB[0]) spikesB.push(t + (b.spikeTime?.[0] ?? 1));
      worst = Math.max(worst, Math.abs((a.v[0]! - labNeuron.eLMv) / scaleMv - b.v[0]!));
    });
    return { spikesA, spikesB, worst };
  }

  it('plain LIF: same spikes, same membrane in the other units', () => {
    expect(isPlain(fromLayerParams(layer))).toBe(true);
    const r = both(lab, fromLayerParams(layer), 0);
    expect(r.spikesA.length).toBeGreaterThan(20);
    expect(r.spikesB).toEqual(r.spikesA);
    expect(r.worst).toBeLessThan(1e-9);
  });

  it('exact timing: same spike times', () => {
    const r = both({ ...lab, timing: 'exact' }, fromLayerParams(layer, { timing: 'exact' }), 0);
    expect(r.spikesA.length).toBeGreaterThan(20);
    r.spikesB.forEach((t, k) => expect(t).toBeCloseTo(r.spikesA[k]!, 9));
    expect(r.spikesB.length).toBe(r.spikesA.length);
    expect(r.worst).toBeLessThan(1e-9);
  });

  it('noise and adaptation given in timestep units: same spikes as the lab with the same seed', () => {
    const sigma = 0.8; // mV / sqrt(ms)
    const adaptation = { gANs: 2, b: 1, tauAMs: 50, eKMv: -80 };
    const labNoisy: PhysicalNeuron = { ...lab, model: 'alif', sigmaMvPerSqrtMs: sigma, adaptation };
    const layerParams = fromLayerParams(layer, {
      noisePerStep: (sigma * Math.sqrt(lab.dtMs)) / scaleMv,
      // b in steps: the conductance added per spike times dt / C (nS ms / nF = 1e-3).
      adaptation: { b: (adaptation.gANs * adaptation.b * lab.dtMs) / (1000 * lab.cNf), tauSteps: adaptation.tauAMs / lab.dtMs, vReversal: (adaptation.eKMv - lab.eLMv) / scaleMv },
    });
    const r = both(labNoisy, layerParams, 42);
    expect(r.spikesA.length).toBeGreaterThan(10);
    expect(r.spikesB).toEqual(r.spikesA);
    expect(r.worst).toBeLessThan(1e-9);
  });
});
