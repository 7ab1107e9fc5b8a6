/**
 * Exporting from a saved network is exporting the network: convert -> save (.snn.json) ->
 * load gives the same SNN (identical accuracy and firing rates at every step) and the same
 * NIR graph as exporting the converted network directly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../src/eval/evaluate.js';
import { writeNirFile } from '../src/io/nir/hdf5.js';
import { planNir } from '../src/io/nir/plan.js';
import { loadSnn, saveSnn } from '../src/io/snn-file.js';
import type { SnnModel } from '../src/model/snn-model.js';
import { tempDir } from './helpers/idx.js';
import { readNirFile } from './helpers/nir-file.js';
import { convertFixture, IF_DEFAULT, randomImages } from './helpers/snn-models.js';

const dir = tempDir('snnc-nir-roundtrip-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function nirOf(model: SnnModel, name: string) {
  const file = path.join(dir, name);
  await writeNirFile(planNir(model, { dtS: 1e-3, readout: 'integrator' }), file);
  return readNirFile(file);
}

describe('convert -> save -> load', () => {
  it('evaluates identically and exports the identical NIR graph', async () => {
    const model = await convertFixture('fixtures/onnx/residual.onnx', [2, 6, 6], IF_DEFAULT);
    const file = path.join(dir, 'residual.snn.json');
    saveSnn(model, file);
    const loaded = loadSnn(file);
    const ds = randomImages([2, 6, 6], 40, 21);
    const before = await evaluate(model, ds, { timesteps: 16, batchSize: 20 });
    const after = await evaluate(loaded, ds, { timesteps: 16, batchSize: 20 });
    expect(after.accuracyByStep).toEqual(before.accuracyByStep);
    expect(after.annAccuracy).toBe(before.annAccuracy);
    expect(after.layers.map((l) => l.firingRate)).toEqual(before.layers.map((l) => l.firingRate));
    expect(before.layers.some((l) => l.firingRate > 0)).toBe(true);
    expect(await nirOf(loaded, 'loaded.nir')).toEqual(await nirOf(model, 'direct.nir'));
  });
});
