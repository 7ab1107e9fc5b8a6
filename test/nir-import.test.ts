/**
 * NIR graphs written by other tools, read by snnc. test/python/nir_tool.py writes graphs with
 * NIR's reference library (nir.write), as a framework exporting to NIR would: a small CNN
 * with Conv2d, IF, SumPool2d, Scale, Flatten, Affine, LIF, Linear and an LI readout, and a
 * graph with a Delay (which snnc cannot run). snnc's runtime on the imported CNN is compared
 * with the numpy simulation of NIR's equations in the same tool: every neuron's spike count,
 * and the prediction at every step. snnc's own exports read back are the network exported:
 * the same prediction at every step. Skipped, with the reason, without python3 + numpy + h5py
 * (the round trip of snnc's own files runs regardless).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/convert/load-model.js';
import { preprocessBatch } from '../src/model/dataset.js';
import { writeNirFile } from '../src/io/nir/hdf5.js';
import { float32Above } from '../src/io/nir/import.js';
import { float32Below } from '../src/io/nir/neuron.js';
import { planNir } from '../src/io/nir/plan.js';
import type { LoadedSnn } from '../src/io/load-model.js';
import { sizeOf } from '../src/ir/tensor.js';
import { SnnSimulator } from '../src/runtime/simulator.js';
import { snnc } from './helpers/cli.js';
import { tempDir } from './helpers/idx.js';
import { nirPython, runNirTool, type NirSimulation } from './helpers/nir-python.js';
import { convertFixture, IF_EXACT, randomImages } from './helpers/snn-models.js';

const found = nirPython();
if ('missing' in found) console.warn(`test/nir-import.test.ts: the graphs written by nir.write are skipped: ${found.missing}`);
const python = 'python' in found ? found.python : '';
const dir = tempDir('snnc-nir-import-');
const file = (name: string) => path.join(dir, name);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('float32 thresholds', () => {
  it('float32Above inverts float32Below: v >= above(x) <=> v > x for float32 v', () => {
    for (const x of [1, 0.5, 3.25, Math.fround(1e-3)]) {
      expect(float32Above(float32Below(x))).toBe(Math.fround(x));
      expect(float32Above(x)).toBeGreaterThan(x);
      expect(float32Below(float32Above(x))).toBe(Math.fround(x));
    }
  });
});

describe.skipIf('missing' in found)('NIR graphs written by nir.write', () => {
  beforeAll(() => {
    runNirTool(python, ['write', dir]);
  });

  it('snnc inspect lists the layers it made and what it read how', async () => {
    const r = await snnc(['inspect', file('cnn.nir')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NIR graph \(spiking\), input input \[N,1,6,6\], output out_fc/);
    expect(r.stdout).toMatch(/lif1 +if t_ref=0 +\[4,6,6\]/);
    expect(r.stdout).toMatch(/lif2 +lif t_ref=0 +\[5\]/);
    expect(r.stdout).toMatch(/LI li: read as the readout/);
  });

  it('snnc runs the imported CNN as the numpy simulation of NIR does: every spike count, every step\'s prediction', async () => {
    const count = 30;
    const steps = 40;
    const ds = randomImages([1, 6, 6], count, 5);
    const loaded = (await loadModel(file('cnn.nir'))) as LoadedSnn;
    const x = preprocessBatch(ds, 0, count, loaded.model.preprocess);
    fs.writeFileSync(file('x.f32'), Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    const nir = runNirTool(python, ['simulate', file('cnn.nir'), file('x.f32'), String(count), String(steps)]) as NirSimulation;
    const sim = await SnnSimulator.create(loaded.model.snn, steps);
    const ours = await sim.runBatch(x, count, { capture: new Set(['lif1', 'lif2']) });
    await sim.release();
    let spikes = 0;
    for (const layer of ['lif1', 'lif2']) {
      const mine = Array.from(ours.counts.get(layer)!);
      expect(mine).toEqual(nir.counts[layer]!.flat());
      spikes += mine.reduce((a, b) => a + b, 0);
    }
    expect(spikes).toBeGreaterThan(count * 20);
    // The LI readout (tau 1e9 s) is the sum of its input over steps, up to a leak of 1e-9 per step.
    let agree = 0;
    for (let t = 0; t < steps; t++)
      for (let b = 0; b < count; b++) {
        const out = nir.outputs[t]![b]!;
        if (out.indexOf(Math.max(...out)) === ours.predictions[t * count + b]) agree++;
      }
    expect(agree).toBe(steps * count);
  });

  it('a CubaLIF whose synapse is negligible against the step is read as LIF (gain r w_in (1 - e^(-dt/tau_mem))); a slow synapse is refused', async () => {
    const fast = ((await loadModel(file('cuba.nir'))) as LoadedSnn).model.snn;
    const lif = fast.nodes.find((n) => n.name === 'cuba');
    expect(lif?.op === 'spike' && lif.neuron).toMatchObject({ model: 'lif', tauSteps: 4, reset: 'zero', vInitFraction: 0 });
    const gain = fast.nodes.find((n) => n.name.startsWith('cuba_gain'));
    expect(gain?.op === 'affine' && Array.from(gain.scale.data)).toEqual(Array(3).fill(Math.fround(2 * -Math.expm1(-1 / 4))));
    const slow = await snnc(['inspect', file('cuba-slow.nir')]);
    expect(slow.code).toBe(2);
    expect(slow.stderrLines).toEqual([`snnc: ${file('cuba-slow.nir')}: node cuba (CubaLIF): tau_syn = 0.5 s is not negligible against dt = 1 s: snnc has no synaptic current`]);
  });

  it('snnc eval runs it from the command line; a node snnc cannot run is one line naming it (exit 2)', async () => {
    const images = randomImages([1, 6, 6], 20, 9);
    const { writeIdxDataset } = await import('./helpers/idx.js');
    const data = writeIdxDataset(dir, 'x', [20, 6, 6], images.pixels, images.labels);
    const ok = await snnc(['eval', file('cnn.nir'), '--data', data, '-T', '8', '-q']);
    expect(ok.stderrLines).toEqual([]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/SNN accuracy/);
    const bad = await snnc(['eval', file('delay.nir'), '--data', data, '-q']);
    expect(bad.code).toBe(2);
    expect(bad.stderrLines).toEqual([`snnc: ${file('delay.nir')}: node wait (Delay): snnc's runtime cannot run it (it runs Input, Output, Conv2d, Affine, Linear, Scale, SumPool2d, AvgPool2d, Flatten, IF, LIF, CubaLIF, I, LI)`]);
  });
});

describe('files that are not NIR', () => {
  it('a text file named .nir is one line (exit 2), before HDF5 sees it', async () => {
    fs.writeFileSync(file('text.nir'), 'not hdf5\n');
    const r = await snnc(['inspect', file('text.nir')]);
    expect(r.stderrLines).toEqual([`snnc: ${file('text.nir')}: not an HDF5 file (a NIR file is HDF5)`]);
    expect(r.code).toBe(2);
  });
});

describe("snnc's own NIR files read back", () => {
  it.each([
    ['integrator readout, dt 1 ms', { dtS: 1e-3, readout: 'integrator' as const }],
    ['current readout, dt 1, threshold ge', { dtS: 1, readout: 'current' as const, threshold: 'ge' as const }],
  ])('%s: the same prediction at every step and the same spike counts as the network exported', async (_, options) => {
    const model = await convertFixture('fixtures/onnx/residual.onnx', [2, 6, 6], IF_EXACT);
    const out = file(`residual-${options.readout}.nir`);
    await writeNirFile(planNir(model, options), out);
    const imported = ((await loadModel(out)) as LoadedSnn).model;
    const ds = randomImages([2, 6, 6], 25, 4);
    const x = preprocessBatch(ds, 0, ds.count, model.preprocess);
    const run = async (m: typeof model) => {
      const sim = await SnnSimulator.create(m.snn, 24);
      const r = await sim.runBatch(x, ds.count);
      await sim.release();
      return r;
    };
    const [a, b] = [await run(model), await run(imported)];
    expect(Array.from(b.predictions)).toEqual(Array.from(a.predictions));
    const spikes = (r: typeof a) => [...r.activity.values()].map((l) => l.spikes);
    expect(spikes(b)).toEqual(spikes(a));
    expect(spikes(a).reduce((s, n) => s + n, 0)).toBeGreaterThan(100);
    expect(sizeOf(imported.snn.input.shape)).toBe(72);
  });
});
