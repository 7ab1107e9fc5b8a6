/**
 * Work and memory are bounded before they start: a TF.js weights manifest is checked against
 * --max-memory in total (a shard listed many times counts each time) and in its number of
 * entries; the neuron lab counts currents, checks the Nyquist frequency and bounds spikes per
 * step before it allocates or loops. And messages that used to mislead now say what is wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/idx.js';
import { snnc, snncLines } from './cli.js';

const dir = tempDir('snnc-bounds-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A copy of the mlp fixture whose manifest lists `paths`; extra files as given. */
function tfjsModel(name: string, edit: (m: { weightsManifest: { paths: string[] }[]; modelTopology: any }) => void, files: Record<string, Uint8Array> = {}): string {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  const m = JSON.parse(fs.readFileSync('fixtures/tfjs/mlp/model.json', 'utf8'));
  fs.copyFileSync('fixtures/tfjs/mlp/weights.bin', path.join(folder, 'weights.bin'));
  edit(m);
  fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify(m));
  for (const [f, bytes] of Object.entries(files)) fs.writeFileSync(path.join(folder, f), bytes);
  return path.join(folder, 'model.json');
}

describe('TF.js weights manifest', () => {
  it('one 1 MiB shard listed 300 times is refused under --max-memory 64M before it is read 300 times', async () => {
    const file = tfjsModel('repeated', (m) => (m.weightsManifest[0]!.paths = Array(300).fill('big.bin')), { 'big.bin': new Uint8Array(1 << 20) });
    const began = performance.now();
    const r = await snnc(['--max-memory', '64M', 'inspect', file]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(/the weight files listed in the manifest \(65 so far\) need 65 MiB, more than --max-memory 64 MiB$/)]);
    expect(performance.now() - began).toBeLessThan(15_000);
  });

  it('100,000 entries are refused by count, at once', async () => {
    const file = tfjsModel('many', (m) => (m.weightsManifest[0]!.paths = Array(100_000).fill('weights.bin')));
    const began = performance.now();
    const r = await snnc(['inspect', file]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(/the weights manifest lists more than 1000 weight files$/)]);
    expect(performance.now() - began).toBeLessThan(15_000);
  });

  it("a shard named '..weights.bin' inside the folder is read, not refused as outside it", async () => {
    const file = tfjsModel('dots', (m) => (m.weightsManifest[0]!.paths = ['..weights.bin']), { '..weights.bin': fs.readFileSync('fixtures/tfjs/mlp/weights.bin') });
    const r = await snnc(['inspect', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a missing output layer gives a reason, not an empty message', async () => {
    const file = tfjsModel('no-output', (m) => {
      const config = m.modelTopology.model_config?.config ?? m.modelTopology.config;
      if (Array.isArray(config.output_layers)) config.output_layers = [['nosuch', 0, 0]];
      else config.layers = [];
    });
    const r = await snnc(['inspect', file]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(/: \S.*$/)]);
    expect(r.stderr).not.toMatch(/model: $/m);
  });
  it('a functional model whose output layer does not exist names it', async () => {
    const folder = path.join(dir, 'functional');
    fs.mkdirSync(folder);
    const m = JSON.parse(fs.readFileSync('fixtures/tfjs/functional/model.json', 'utf8'));
    m.modelTopology.config.output_layers = [['nosuch', 0, 0]];
    fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify(m));
    fs.copyFileSync('fixtures/tfjs/functional/weights.bin', path.join(folder, 'weights.bin'));
    const r = await snnc(['inspect', folder]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(/output_layers names layer 'nosuch', which the model does not have$/)]);
  });
});

describe('neuron lab', () => {
  it.each([
    [['fi', '--currents', '0:1e300:1'], /--currents '0:1e300:1': 1e\+300 currents, at most 10000/],
    [['fi', '--currents', '0:1:1e-8'], /--currents '0:1:1e-8': 100000001 currents, at most 10000/],
    [['trace', '--current', 'sine:amp=1,freq=1e308'], /--current: freq 1e\+308 Hz is above 5000 Hz/],
    [['trace', '--current', '1e300', '--t-ref', '0'], /1e\+300 nA with t_ref 0 ms could fire up to .* spikes/],
  ])('%j is refused before anything is allocated or looped', async (args, message) => {
    const began = performance.now();
    const r = await snnc(['neuron', ...args]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(message)]);
    expect(performance.now() - began).toBeLessThan(10_000);
  });
});
