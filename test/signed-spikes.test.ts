/**
 * Signed spikes against the closed form they promise: with reset by subtraction, threshold 1,
 * v(0) in [0, 1) and every current |z| < 1, a signed neuron's net count after t steps is
 *
 *   N(t) = max(0, floor(v(0) + z[1] + ... + z[t]))
 *
 * whatever the order of the currents (snn/neuron.ts). Checked on a sequence worked out by hand,
 * on random sequences (step() and the runtime's fused scan, each against the formula), and
 * through the whole runtime on a small network, where a layer's summed current over T steps
 * is W N_in(T) + T b: onnxruntime computes that from the counts of the layer before, and the
 * counts must equal the formula on every simulator path. Dyadic weights and inputs keep every
 * float32 sum exact, so equality is exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConvNode, Graph, NeuronLayerParams, PoolNode } from '../src/ir/graph.js';
import { tensor } from '../src/ir/tensor.js';
import { scanIfRow } from '../src/runtime/neuron-scan.js';
import { SnnSimulator, type SimOptions } from '../src/runtime/simulator.js';
import { ifParams, initialState, step, type NeuronParams } from '../src/snn/neuron.js';
import { conversionOptions } from '../src/cli/options.js';
import { UserError } from '../src/errors.js';
import { nativeKernels } from '../src/runtime/native/addon.js';
import { ortOutputs } from './helpers/exact-linear.js';
import { randomArray } from './helpers/ort.js';

const SIGNED: NeuronParams = { ...ifParams('subtract', 0), signed: true };

/** N(t) = max(0, floor(v0 + z1 + ... + zt)) for every t, in double precision. */
function closedForm(v0: number, z: readonly number[]): number[] {
  let sum = v0;
  return z.map((zt) => Math.max(0, Math.floor((sum += zt))));
}

/** Spikes and net counts of one neuron through step(). */
function runStep(p: NeuronParams, v0: number, z: readonly number[]): { spikes: number[]; net: number[] } {
  const state = initialState(1, v0, p);
  const out = new Float32Array(1);
  const spikes: number[] = [];
  const net: number[] = [];
  let count = 0;
  for (const zt of z) {
    step(p, state, Float32Array.of(zt), 0, out, 0, 1);
    spikes.push(out[0]!);
    count += out[0]!;
    net.push(count);
  }
  return { spikes, net };
}

/** Spikes and net counts of one neuron through the runtime's fused scan. */
function runScan(v0: number, z: readonly number[]): { spikes: number[]; net: number[] } {
  const b = { z: new Float32Array(1), v: Float32Array.of(v0), refractory: new Int32Array(1), counts: new Int32Array(1), events: new Int32Array(1), values: new Float32Array(1) };
  const spikes: number[] = [];
  const net: number[] = [];
  for (const zt of z) {
    b.z[0] = zt;
    const e = scanIfRow(SIGNED, b, { zOffset: 0, stateOffset: 0 }, 1, 0);
    spikes.push(e === 1 ? b.values[0]! : 0);
    net.push(b.counts[0]!);
  }
  return { spikes, net };
}

describe('signed IF neuron', () => {
  // v(0) = 0.5; the running sums v0 + S are 1.25, 0.75, 0.25, 0.5, 1.25, 2, 1.25, 1.
  const z = [0.75, -0.5, -0.5, 0.25, 0.75, 0.75, -0.75, -0.25];

  it('a sequence worked out by hand', () => {
    // t1: v 1.25 fires, 0.25. t2: v -0.25 < 0 with N = 1: -1, v 0.75. t3, t4: 0.25, 0.5.
    // t5: 1.25 fires, 0.25. t6: 1.0 fires, 0. t7: -0.75 with N = 2: -1, v 0.25. t8: v 0, no spike.
    const want = { spikes: [1, -1, 0, 0, 1, 1, -1, 0], net: [1, 0, 0, 0, 1, 2, 1, 1] };
    expect(runStep(SIGNED, 0.5, z)).toEqual(want);
    expect(runScan(0.5, z)).toEqual(want);
    expect(want.net).toEqual(closedForm(0.5, z));
    // The binary neuron keeps its first spike: 2 spikes where the integrated current asks for 1.
    expect(runStep(ifParams('subtract', 0), 0.5, z).net.at(-1)).toBe(2);
  });

  const sequences = fc.record({
    v0: fc.integer({ min: 0, max: 63 }).map((k) => k / 64),
    z: fc.array(fc.integer({ min: -63, max: 63 }).map((k) => k / 64), { minLength: 1, maxLength: 80 }),
  });

  it('step(): the net count is the integrated current quantised and rectified, at every step', () => {
    fc.assert(
      fc.property(sequences, ({ v0, z }) => {
        const { spikes, net } = runStep(SIGNED, v0, z);
        expect(net).toEqual(closedForm(v0, z));
        expect(spikes.every((s) => s === -1 || s === 0 || s === 1)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('the fused scan of the runtime: the same closed form', () => {
    fc.assert(
      fc.property(sequences, ({ v0, z }) => {
        expect(runScan(v0, z).net).toEqual(closedForm(v0, z));
      }),
      { numRuns: 300 },
    );
  });

  it.skipIf(nativeKernels() === null)('the native scan, 16 neurons at a time and the tail one by one: the same closed form per neuron', () => {
    const native = nativeKernels()!;
    // 37 neurons (two blocks of 16 and a tail of 5), each with its own sequence.
    fc.assert(
      fc.property(fc.array(sequences, { minLength: 37, maxLength: 37 }), fc.integer({ min: 1, max: 60 }), (neurons, steps) => {
        const n = neurons.length;
        const v = Float32Array.from(neurons, (s) => s.v0);
        const counts = new Int32Array(n);
        const events = new Int32Array(n + 3);
        const values = new Float32Array(n + 3);
        const sums = neurons.map((s) => s.v0);
        for (let t = 0; t < steps; t++) {
          const z = Float32Array.from(neurons, (s) => s.z[t % s.z.length]!);
          // Events appended after 3 earlier ones, which must stay.
          events.fill(-7, 0, 3);
          const end = native.scanIfSigned(z, 0, v, counts, 0, events, values, 3, n, 1, 1, 0);
          expect(Array.from(events.subarray(0, 3))).toEqual([-7, -7, -7]);
          const listed = new Map<number, number>();
          for (let k = 3; k < end; k++) listed.set(events[k]!, values[k]!);
          for (let i = 0; i < n; i++) {
            const before = Math.max(0, Math.floor(sums[i]!));
            sums[i]! += z[i]!;
            const after = Math.max(0, Math.floor(sums[i]!));
            expect(counts[i], `neuron ${i}, step ${t + 1}`).toBe(after);
            expect(listed.get(i) ?? 0).toBe(after - before);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('a network of signed neurons in the runtime', () => {
  const neuron: NeuronLayerParams = { model: 'if', vThreshold: 1, vReset: 0, reset: 'subtract', vInitFraction: 0.5, tRefSteps: 0, signed: true };
  // Every current stays below 1 in magnitude (inputs: pixels in [0, 1), spikes -1, 0 or 1):
  // `taps` non-zero weights per output of at most 64/256 and biases of at most 24/256. Few
  // large weights make the second layer's current swing: out of order, as deep layers see it.
  const conv = (name: string, input: string, output: string, cIn: number, cOut: number, taps: number, seed: number): ConvNode => ({
    name,
    op: 'conv',
    inputs: [input],
    output,
    weight: tensor([cOut, cIn, 3, 3], randomArray(cOut * cIn * 9, seed, -64, 64).map((v, i) => ((i * 7) % (cIn * 9) < taps ? Math.round(v) / 256 : 0))),
    bias: tensor([cOut], randomArray(cOut, seed + 1, -24, 24).map((v) => Math.round(v) / 256)),
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    dilations: [1, 1],
    group: 1,
  });
  const c1 = conv('c1', 'x', 'h1', 2, 3, 3, 11);
  const c2 = conv('c2', 's1', 'h2', 3, 4, 3, 13);
  const pool: PoolNode = { name: 'p', op: 'maxpool', inputs: ['s2'], output: 'm', kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceilMode: false, countIncludePad: false };
  const graphOf = (signed: boolean): Graph => ({
    name: 'signed',
    input: { name: 'x', shape: [2, 4, 4] },
    output: 'y',
    nodes: [
      c1,
      { name: 's1', op: 'spike', inputs: ['h1'], output: 's1', lambda: [1], neuron: { ...neuron, signed } },
      c2,
      { name: 's2', op: 'spike', inputs: ['h2'], output: 's2', lambda: [1], neuron: { ...neuron, signed } },
      pool,
      { name: 'f', op: 'flatten', inputs: ['m'], output: 'fm' },
      { name: 'd', op: 'dense', inputs: ['fm'], output: 'y', weight: tensor([3, 16], randomArray(48, 17)), bias: tensor([3]) },
    ],
  });
  const batch = 6;
  const T = 40;
  const x = randomArray(batch * 32, 19, 0, 16).map((v) => Math.floor(v) / 16);

  async function counts(g: Graph, options: SimOptions): Promise<Map<string, Float32Array>> {
    const sim = await SnnSimulator.create(g, T, options);
    try {
      const r = await sim.runBatch(x, batch, { capture: new Set(['s1', 's2', 'p']) });
      // More spikes than the net count: some were -1 (signed) / net count = spikes (binary).
      const net = r.counts.get('s2')!.reduce((s, n) => s + n, 0);
      expect(r.activity.get('s2')!.spikes > net).toBe(g.nodes.some((n) => n.op === 'spike' && n.neuron.signed));
      return r.counts;
    } finally {
      await sim.release();
    }
  }

  /** N = max(0, floor(v0 + summed current)), summed current = conv(N_in) with the bias T times. */
  async function formula(node: ConvNode, inShape: number[], outShape: number[], input: Float32Array, biasTimes: number): Promise<Float32Array> {
    const scaled = { ...node, bias: tensor([outShape[0]!], node.bias.data.map((b) => b * biasTimes)) };
    return (await ortOutputs(scaled, inShape, outShape, input, batch)).map((s) => Math.max(0, Math.floor(0.5 + s)));
  }

  const PATHS: Record<string, SimOptions> = {
    'reference (onnxruntime, step(), one chunk)': { linear: 'dense', scan: 'step', chunkSteps: Number.MAX_SAFE_INTEGER },
    'fused scans, event-driven kernels, chunks of 7 steps': { linear: 'sparse', scan: 'fast', chunkSteps: 7 },
    default: {},
  };

  it.each(Object.entries(PATHS))('net counts per layer equal the closed form: %s', async (_, options) => {
    // Layer 1 sees the constant current c1(x): T times it over the run.
    const z1 = await ortOutputs(c1, [2, 4, 4], [3, 4, 4], x, batch);
    const want1 = z1.map((z) => Math.max(0, Math.floor(0.5 + T * z)));
    const got = await counts(graphOf(true), options);
    expect(Array.from(got.get('s1')!)).toEqual(Array.from(want1));
    const want2 = await formula(c2, [3, 4, 4], [4, 4, 4], want1, T);
    expect(Array.from(got.get('s2')!)).toEqual(Array.from(want2));
    // Spiking max pooling passes the largest net count of each 2x2 window.
    const pooled = got.get('p')!;
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < 4; c++) {
        for (let o = 0; o < 4; o++) {
          const [oy, ox] = [Math.floor(o / 2), o % 2];
          const window = [0, 1, 4, 5].map((d) => want2[b * 64 + c * 16 + (2 * oy) * 4 + 2 * ox + d]!);
          expect(pooled[b * 16 + c * 4 + o]).toBe(Math.max(...window));
        }
      }
    }
  });

  it('refuses membrane noise and adaptation, which the signed step does not model', async () => {
    const sim = SnnSimulator.create(graphOf(true), T, { runtime: { seed: 0, encoding: 'constant', noisePerStep: 0.1 } });
    await expect(sim).rejects.toThrow(UserError);
    await expect(sim).rejects.toThrow(/^layer 's1' has signed spikes, which run without membrane noise or adaptation: drop --noise and --adapt-b$/);
  });

  it('the binary network misses the closed form where current arrives out of order', async () => {
    const got = await counts(graphOf(false), {});
    const want2 = await formula(c2, [3, 4, 4], [4, 4, 4], got.get('s1')!, T);
    const differ = Array.from(got.get('s2')!).filter((n, i) => n !== want2[i]).length;
    expect(differ).toBeGreaterThan(0);
  });
});

describe('--spikes', () => {
  const refused = (flags: Record<string, unknown>): string => {
    try {
      conversionOptions({ calibSamples: '10', neuron: 'if', readout: 'membrane', ...flags });
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('signed needs reset by subtraction, no refractory period, and not --target nir', () => {
    expect(conversionOptions({ calibSamples: '10', neuron: 'if', readout: 'membrane', spikes: 'signed' }).signedSpikes).toBe(true);
    expect(conversionOptions({ calibSamples: '10', neuron: 'if', readout: 'membrane' }).signedSpikes).toBeUndefined();
    expect(refused({ spikes: 'signed', reset: 'zero' })).toMatch(/^--spikes signed needs --reset subtract/);
    expect(refused({ spikes: 'signed', tRef: '2' })).toMatch(/^--spikes signed needs --t-ref 0, got --t-ref 2$/);
    expect(refused({ spikes: 'signed', target: 'nir' })).toMatch(/^--spikes signed: --target nir has binary spikes only/);
    expect(refused({ spikes: 'ternary' })).toMatch(/^--spikes/);
  });
});
