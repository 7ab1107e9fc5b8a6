/**
 * Conversion techniques on whole networks: light calibration against the ANN's rates on
 * held-back images, spike-count readout, max pooling replaced by average pooling, automatic
 * percentile, automatic v(0), and the synaptic-operation count against a hand count.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { convertAnn, PERCENTILE_CANDIDATES } from '../src/convert/convert.js';
import { DEFAULT_CONVERSION, VINIT_SEARCH_SAMPLES } from '../src/model/conversion-settings.js';
import { estimateEnergy, opCosts } from '../src/eval/energy.js';
import { evaluate } from '../src/eval/evaluate.js';
import { DEFAULT_PREPROCESS, limitDataset } from '../src/model/dataset.js';
import { loadDataset } from '../src/io/data/registry.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import type { ConversionOptions } from '../src/model/conversion-settings.js';
import type { Graph, SpikeNode } from '../src/ir/graph.js';
import { tensor } from '../src/ir/tensor.js';
import { tempDir } from './helpers/idx.js';
import { meanRateError } from './helpers/rate-error.js';
import { CONVNET, convnetData } from './helpers/labelled.js';

let data: { data: string; calib: string };
let ann: LoadedAnn;
const T = 16;

beforeAll(async () => {
  data = await convnetData(tempDir(), 60, 120);
  ann = (await loadModel(CONVNET)) as LoadedAnn;
});

const settings = (over: Partial<ConversionOptions>): ConversionOptions => ({ ...DEFAULT_CONVERSION, vInitAuto: false, calibSamples: 120, calibTimesteps: T, ...over });
const calibOf = () => loadDataset(data.calib);

describe('light calibration', () => {
  it.each(['bias', 'potential', 'gain'] as const)('%s calibration lowers the mean rate error on held-back images', async (mode) => {
    const heldBack = loadDataset(data.data);
    const plain = await convertAnn(ann, DEFAULT_PREPROCESS, settings({}), calibOf(), { batchSize: 60 });
    const calibrated = await convertAnn(ann, DEFAULT_PREPROCESS, settings({ calibrate: mode }), calibOf(), { batchSize: 60 });
    expect(calibrated.log.some((l) => l.startsWith(`calibrate-${mode}`))).toBe(true);
    const before = await meanRateError(plain.model, heldBack, T);
    const after = await meanRateError(calibrated.model, heldBack, T);
    expect(after).toBeLessThan(before);
  });

  it('potential calibration in groups of 2 layers per simulation lowers the rate error, whatever the threads', async () => {
    const heldBack = loadDataset(data.data);
    const plain = await convertAnn(ann, DEFAULT_PREPROCESS, settings({}), calibOf(), { batchSize: 60 });
    const grouped = await convertAnn(ann, DEFAULT_PREPROCESS, settings({ calibrate: 'potential', calibGroup: 2 }), calibOf(), { batchSize: 60, threads: 1 });
    const groupedThreads = await convertAnn(ann, DEFAULT_PREPROCESS, settings({ calibrate: 'potential', calibGroup: 2 }), calibOf(), { batchSize: 25, threads: 2 });
    const layers = plain.model.snn.nodes.filter((n) => n.op === 'spike').length;
    expect(grouped.log.filter((l) => l.startsWith('calibrate-potential:') && l.includes('applied to v(0)'))).toHaveLength(layers);
    const shifts = (g: Graph) => g.nodes.filter((n): n is SpikeNode => n.op === 'spike').map((n) => n.vInitShift);
    expect(shifts(groupedThreads.model.snn)).toEqual(shifts(grouped.model.snn));
    expect(await meanRateError(grouped.model, heldBack, T)).toBeLessThan(await meanRateError(plain.model, heldBack, T));
  });
});

describe('readout and pooling options', () => {
  it('a spike-count readout agrees with the ANN given enough steps', async () => {
    const { model } = await convertAnn(ann, DEFAULT_PREPROCESS, settings({ readout: 'spikes', percentile: 100 }), calibOf(), { batchSize: 60 });
    const out = model.snn.nodes.find((n) => n.output === model.snn.output)!;
    expect(out.op).toBe('spike');
    const r = await evaluate(model, loadDataset(data.data), { timesteps: 256, batchSize: 60 });
    expect(r.annAccuracy).toBe(1);
    expect(r.accuracyByStep[255]).toBeGreaterThanOrEqual(0.9);
  });

  it('--maxpool avg converts a network without max pooling and says so', async () => {
    const warnings: string[] = [];
    const { model, log } = await convertAnn(ann, DEFAULT_PREPROCESS, settings({ maxpool: 'avg' }), calibOf(), { batchSize: 60, warn: (m) => warnings.push(m) });
    expect(ann.graph.nodes.some((n) => n.op === 'maxpool')).toBe(true);
    expect(model.snn.nodes.some((n) => n.op === 'maxpool')).toBe(false);
    expect(model.ann.nodes.some((n) => n.op === 'maxpool')).toBe(true);
    expect(log.join('\n')).toMatch(/replaced by average pooling/);
    expect(warnings.join('\n')).toMatch(/different network/);
  });

  it('--percentile auto keeps the candidate most accurate on the calibration images, as separate conversions measure them', async () => {
    const { model } = await convertAnn(ann, DEFAULT_PREPROCESS, settings({ percentileAuto: true }), calibOf(), { batchSize: 60 });
    // Each candidate converted on its own, at a fixed percentile, and run on the 120 calibration images at T.
    const images = limitDataset(calibOf(), 120);
    const measured: { percentile: number; accuracy: number }[] = [];
    for (const percentile of PERCENTILE_CANDIDATES) {
      const fixed = await convertAnn(ann, DEFAULT_PREPROCESS, settings({ percentile }), calibOf(), { batchSize: 60 });
      measured.push({ percentile, accuracy: (await evaluate(fixed.model, images, { timesteps: T, batchSize: 60 })).accuracyByStep[T - 1]! });
    }
    // The choice only means something if the candidates differ.
    expect(new Set(measured.map((m) => m.accuracy)).size).toBeGreaterThan(1);
    const best = Math.max(...measured.map((m) => m.accuracy));
    // Ties go to the higher percentile, which clips less.
    const expected = measured.filter((m) => m.accuracy === best).at(-1)!.percentile;
    expect(model.conversion.percentile).toBe(expected);
    expect(model.conversion.percentileSearch).toEqual(measured);
  });
});

describe('--v-init auto', () => {
  // The shipped MNIST CNN was trained with quantised activations: at short T, v(0) = θ/2 makes
  // neurons with equal rates fire in lockstep, and random v(0) is far more accurate.
  it('keeps the one of θ/2 and random with the better mean accuracy over t = 2..T, as separate conversions measure it', async () => {
    const shipped = (await loadModel('models/mnist-cnn.onnx')) as LoadedAnn;
    const calib = { ...DEFAULT_CONVERSION, calibSamples: 200, calibTimesteps: 4 };
    const calibData = loadDataset('mnist:train');
    const run = { batchSize: 100 };
    const auto = await convertAnn(shipped, DEFAULT_PREPROCESS, { ...calib, vInitAuto: true }, calibData, run);
    // The search runs on the first VINIT_SEARCH_SAMPLES of the 200 calibration images.
    const searched = Math.min(calib.calibSamples, VINIT_SEARCH_SAMPLES);
    const images = limitDataset(loadDataset('mnist:train'), searched);
    const measured = new Map<string, number>();
    for (const [name, vInitRandom] of [['0.5', false], ['random', true]] as const) {
      const { model } = await convertAnn(shipped, DEFAULT_PREPROCESS, { ...calib, vInitAuto: false, vInitRandom }, calibData, run);
      const byStep = (await evaluate(model, images, { timesteps: 4, batchSize: 100 })).accuracyByStep;
      measured.set(name, (byStep[1]! + byStep[2]! + byStep[3]!) / 3); // steps 2..4
    }
    const search = auto.model.conversion.vInitSearch!;
    expect(search.map((c) => c.vInit)).toEqual(['0.5', 'random']);
    for (const c of search) expect(c.accuracy).toBeCloseTo(measured.get(c.vInit)!, 12);
    expect(measured.get('random')!).toBeGreaterThan(measured.get('0.5')! + 0.05);
    expect(auto.model.conversion.vInitRandom).toBe(true);
    expect(auto.model.snn.nodes.filter((n): n is SpikeNode => n.op === 'spike').every((n) => n.neuron.vInitRandom === true)).toBe(true);
    expect(auto.log.join('\n')).toMatch(new RegExp(`v-init auto: mean accuracy over t = 2\\.\\.4 on ${searched} calibration images: 0\\.5 .*%, random .*%: random`));
  });
});

describe('synaptic operations', () => {
  it('count non-zero inputs x mean fan-out, and the static first layer as MACs once', () => {
    // input [4] -> dense 4->3 (static) -> spike -> dense 3->2 -> output.
    const g: Graph = {
      name: 'tiny',
      input: { name: 'x', shape: [4] },
      output: 'y',
      nodes: [
        { name: 'd1', op: 'dense', inputs: ['x'], output: 'h', weight: tensor([3, 4]), bias: tensor([3]) },
        { name: 's', op: 'spike', inputs: ['h'], output: 'sp', lambda: [1], neuron: { model: 'if', vThreshold: 1, vReset: 0, reset: 'subtract', vInitFraction: 0, tRefSteps: 0 } },
        { name: 'd2', op: 'dense', inputs: ['sp'], output: 'y', weight: tensor([2, 3]), bias: tensor([2]) },
      ],
    };
    // 5 images; 40 spikes in all reach d2, each fans out to 2 outputs: 16 synaptic operations per image.
    const costs = opCosts(g, new Map([['d2', 40]]), 5);
    expect(costs.get('d2')).toEqual({ name: 'd2', annMacs: 6, synOps: 16, snnMacs: 0 });
    expect(costs.get('d1')).toEqual({ name: 'd1', annMacs: 12, synOps: 0, snnMacs: 12 });
    const e = estimateEnergy(costs.values());
    expect(e.annEnergyNj).toBeCloseTo((18 * 4.6) / 1000, 12);
    expect(e.snnEnergyNj).toBeCloseTo((16 * 0.9 + 12 * 4.6) / 1000, 12);
  });
});
