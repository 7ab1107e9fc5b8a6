/**
 * Exported NIR files through NIR's reference Python library (nir 1.0.7): `nir.read` loads
 * every variant snnc writes, with its type check, and the graph, shapes and parameters are as
 * documented (docs/nir.md); a simulation of the graph written from NIR's equations in numpy
 * (test/python/nir_tool.py, nothing of snnc's) runs the shipped MNIST model, converted with
 * --target nir, on real test images and gives snnc's spike count for every neuron and snnc's
 * prediction at every step. Skipped, with the reason, without python3 + numpy + h5py.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessBatch } from '../src/model/dataset.js';
import { loadDataset } from '../src/io/data/registry.js';
import { loadSnn } from '../src/io/snn-file.js';
import type { SnnModel } from '../src/model/snn-model.js';
import { sizeOf } from '../src/ir/tensor.js';
import { SnnSimulator } from '../src/runtime/simulator.js';
import { snncInProcess } from './helpers/cli-in-process.js';
import { tempDir } from './helpers/idx.js';
import { readNirFile } from './helpers/nir-file.js';
import { nirPython, runNirTool, type NirDescription, type NirSimulation } from './helpers/nir-python.js';

const found = nirPython();
if ('missing' in found) console.warn(`test/nir-python.test.ts skipped: ${found.missing}`);
const python = 'python' in found ? found.python : '';

const dir = tempDir('snnc-nir-python-');
const file = (name: string) => path.join(dir, name);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Variants exported from one --target nir conversion of the shipped MNIST model. */
const VARIANTS: Record<string, string[]> = {
  default: [],
  ge: ['--nir-threshold', 'ge'],
  torch: ['--nir-flatten', 'torch'],
  zero: ['--nir-flatten', 'zero'],
  sum: ['--nir-pool', 'sum'],
  old: ['--nir-compat', '1.0.4'],
  integrator: ['--nir-readout', 'integrator'],
  snntorch: ['--nir-if', 'lif', '--dt', '0.0001'],
};
/** Variants with a loss (--strict would refuse them). */
const LOSSY = new Set(['snntorch']);
const THETA_BELOW = 1 - 2 ** -24;
let model: SnnModel;

describe.skipIf('missing' in found)('NIR files of --target nir read by nir.read and run by a numpy simulation of NIR', () => {
  beforeAll(async () => {
    // The files under test are made in this process (the command's code, without two Node.js
    // starts per file); test/nir-cli.test.ts runs export through the binary.
    const convert = await snncInProcess(['convert', 'models/mnist-cnn.onnx', '--target', 'nir', '--percentile', '95', '--calib-samples', '200', '--out', file('m.snn.json'), '-q']);
    expect(convert.stderr).toBe('');
    expect(convert.code).toBe(0);
    model = loadSnn(file('m.snn.json'));
    for (const [name, flags] of Object.entries(VARIANTS)) {
      const r = await snncInProcess(['export', file('m.snn.json'), '--format', 'nir', '--out', file(`${name}.nir`), ...(LOSSY.has(name) ? [] : ['--strict']), '-q', ...flags]);
      if (!LOSSY.has(name)) expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  }, 600_000);

  const describeFile = (name: string, ...flags: string[]) => runNirTool(python, ['describe', file(`${name}.nir`), ...flags]) as NirDescription;
  /** Node types along the chain from the Input. */
  const chainNames = (d: NirDescription): string[] => {
    const next = new Map(d.edges.map(([a, b]) => [a, b]));
    const out: string[] = [];
    for (let n: string | undefined = Object.keys(d.nodes).find((k) => d.nodes[k]!.type === 'Input'); n; n = next.get(n)) out.push(n);
    return out;
  };
  const chain = (d: NirDescription): string[] => chainNames(d).map((n) => d.nodes[n]!.type);
  const ofType = (d: NirDescription, type: string) => Object.values(d.nodes).filter((n) => n.type === type);

  it('default: a chain importers take, IF with r = 1 (dt = 1 step), v_reset = 0, v_threshold below 1 for v > v_threshold, Flatten start_dim -3 (the whole sample, batched or not)', () => {
    const d = describeFile('default');
    expect(chain(d)).toEqual(['Input', 'Conv2d', 'IF', 'AvgPool2d', 'Conv2d', 'IF', 'AvgPool2d', 'Flatten', 'Affine', 'IF', 'Affine', 'Output']);
    const shapes = ofType(d, 'IF').map((n) => n.params.r!.shape);
    expect(shapes).toEqual([[32, 28, 28], [64, 14, 14], [128]]);
    for (const n of ofType(d, 'IF')) {
      const count = sizeOf(n.params.r!.shape);
      expect(n.params.r!.sum).toBe(count);
      expect(n.params.v_reset!.sum).toBe(0);
      expect(n.params.v_threshold!.sum! / count).toBeCloseTo(THETA_BELOW, 12);
    }
    const flat = ofType(d, 'Flatten')[0]!;
    expect(flat.params.start_dim!.values).toEqual([-3]);
    expect(flat.output_type.output).toEqual([3136]);
    expect(ofType(d, 'Output')[0]!.input_type.input).toEqual([10]);
    expect(ofType(d, 'Input')[0]!.output_type.output).toEqual([1, 28, 28]);
    expect(d.metadata).toEqual(expect.arrayContaining(['dt_s', 'readout', 'time_convention', 'snnc_target', 'threshold_test']));
    // The weights are snnc's, unchanged.
    const affine = d.nodes[chainNames(d).at(-2)!]!;
    const last = model.snn.nodes.filter((n) => n.op === 'dense').at(-1)!;
    if (last.op !== 'dense') throw new Error('no dense layer');
    expect(affine.params.weight!.shape).toEqual(last.weight.dims);
    expect(affine.params.weight!.sum).toBeCloseTo(last.weight.data.reduce((a, b) => a + b, 0), 3);
  });

  it('--nir-threshold ge writes theta = 1 itself', () => {
    for (const n of ofType(describeFile('ge'), 'IF')) expect(n.params.v_threshold!.sum).toBe(sizeOf(n.params.r!.shape));
  });

  it("--nir-flatten torch writes start_dim 1, which nir.read's type check (NIR's axes, no batch) refuses; it loads without it", () => {
    expect(() => describeFile('torch')).toThrow(/type mismatch|type length mismatch/);
    expect(ofType(describeFile('torch', '--no-type-check'), 'Flatten')[0]!.params.start_dim!.values).toEqual([1]);
  });

  it('--nir-flatten zero writes start_dim 0 (NIR axes), which nir.read types as the default does', () => {
    const flat = ofType(describeFile('zero'), 'Flatten')[0]!;
    expect(flat.params.start_dim!.values).toEqual([0]);
    expect(flat.output_type.output).toEqual([3136]);
  });

  it('--nir-compat 1.0.4: nir.read loads a file with no metadata and no v_reset (it defaults v_reset to 0)', () => {
    const d = describeFile('old');
    expect(d.metadata).toEqual([]);
    for (const n of Object.values(d.nodes)) expect(n.metadata).toEqual([]);
    for (const n of ofType(d, 'IF')) expect(n.params.v_reset!.sum).toBe(0);
    for (const n of readNirFile(file('old.nir')).nodes.values()) {
      expect(n.params.has('v_reset')).toBe(false);
      expect(n.metadata.size).toBe(0);
    }
  });

  it("the default profile's export (losses listed): nir.read loads it; r = 1/dt = 1 (dt 1 by default), the current readout, the losses in the metadata", async () => {
    const { writeIdxDataset } = await import('./helpers/idx.js');
    const { randomImages } = await import('./helpers/snn-models.js');
    const images = randomImages([2, 6, 6], 20, 3);
    const data = writeIdxDataset(dir, 'residual', [20, 6, 6, 2], images.pixels, images.labels); // IDX holds HWC
    const r = await snncInProcess(['export', 'fixtures/onnx/residual.onnx', '--format', 'nir', '--out', file('residual.nir'), '--data', data, '--calib-data', data, '--calib-samples', '20', '-q']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l !== '').length).toBeGreaterThan(0);
    const d = describeFile('residual');
    expect(ofType(d, 'I')).toEqual([]);
    expect(chain(d).at(-1)).toBe('Output');
    for (const n of ofType(d, 'IF')) {
      expect(n.params.r!.sum! / sizeOf(n.params.r!.shape)).toBeCloseTo(1, 6);
      expect(n.metadata).toEqual(expect.arrayContaining(['loss_reset', 'loss_v_init', 'snnc_name']));
    }
  });

  it('--nir-readout integrator ends in an I node with r = 1', () => {
    const d = describeFile('integrator');
    expect(chain(d).slice(-3)).toEqual(['Affine', 'I', 'Output']);
    expect(ofType(d, 'I')[0]!.params.r!.values).toEqual(Array(10).fill(1));
  });

  it("--nir-if lif --dt 0.0001: LIF nodes that snnTorch's LIF import (dt 1e-4 s) runs as IF: beta = 1 - dt/tau is 1 in float32, r dt/tau = 1", () => {
    const d = describeFile('snntorch');
    expect(ofType(d, 'IF')).toEqual([]);
    const lifs = ofType(d, 'LIF');
    expect(lifs.length).toBe(3);
    for (const n of lifs) {
      const count = sizeOf(n.params.tau!.shape);
      const tau = n.params.tau!.sum! / count;
      expect(Math.fround(1 - 1e-4 / tau)).toBe(1);
      expect((n.params.r!.sum! / count) * (1e-4 / tau)).toBeCloseTo(1, 6);
      expect(n.params.v_leak!.sum).toBe(0);
    }
  });

  it.each([
    ['default', 'sum'],
    ['integrator', 'value'],
    ['snntorch', 'sum'],
    ['sum', 'sum'],
  ] as const)('%s: the numpy simulation of NIR gives every neuron snnc\'s spike count and snnc\'s prediction at every step (10 MNIST test images, T = 32)', async (variant, readout) => {
    // Every neuron's count and every step's prediction must agree exactly: a few images suffice
    // (over 100 spikes per image and step), and the numpy simulation's time grows with them.
    const count = 10;
    const steps = 32;
    const ds = loadDataset('mnist');
    const x = preprocessBatch(ds, 0, count, model.preprocess);
    const inputs = file(`inputs-${variant}.f32`);
    fs.writeFileSync(inputs, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    const nir = runNirTool(python, ['simulate', file(`${variant}.nir`), inputs, String(count), String(steps)]) as NirSimulation;

    const spiking = model.snn.nodes.filter((n) => n.op === 'spike').map((n) => n.name);
    const sim = await SnnSimulator.create(model.snn, steps);
    const ours = await sim.runBatch(x, count, { capture: new Set(spiking) });
    await sim.release();

    // NIR node names are snnc's reduced to [A-Za-z0-9_]; snnc_name keeps the original.
    const names = new Map([...readNirFile(file(`${variant}.nir`)).nodes].map(([k, n]) => [String(n.metadata.get('snnc_name')?.value[0]), k]));
    let spikes = 0;
    for (const layer of spiking) {
      const theirs = nir.counts[names.get(layer)!]!.flat();
      const mine = Array.from(ours.counts.get(layer)!);
      expect(theirs.length).toBe(mine.length);
      const differ = theirs.filter((c, i) => c !== mine[i]).length;
      expect(differ, `${layer}: neurons whose spike count differs`).toBe(0);
      spikes += mine.reduce((a, b) => a + b, 0);
    }
    expect(spikes).toBeGreaterThan(count * steps * 100);

    const sums = new Float64Array(count * 10);
    let agree = 0;
    for (let t = 0; t < steps; t++) {
      for (let b = 0; b < count; b++) {
        const out = nir.outputs[t]![b]!;
        const score = readout === 'sum' ? out.map((v, k) => (sums[b * 10 + k]! += v)) : out;
        const best = score.indexOf(Math.max(...score));
        if (best === ours.predictions[t * count + b]) agree++;
      }
    }
    expect(agree).toBe(steps * count);
    expect(sizeOf(model.snn.input.shape)).toBe(784);
  }, 600_000);
});
