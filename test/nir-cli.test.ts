/**
 * `snnc export` as a user runs it (bin/snnc, built by the global setup): warnings per loss on
 * stderr, --strict as an error with no file, conversion of an ANN first, bad flags as user
 * errors. Files are read back with jsfive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveSnn } from '../src/io/snn-file.js';
import { snnc } from './helpers/cli.js';
import { tempDir, writeIdxDataset } from './helpers/idx.js';
import { readNirFile } from './helpers/nir-file.js';
import { convertFixture, IF_DEFAULT, IF_EXACT, randomImages } from './helpers/snn-models.js';

const dir = tempDir('snnc-nir-cli-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ status: number; stdout: string; stderr: string[] }> {
  const r = await snnc(args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderrLines };
}

const lossy = path.join(dir, 'residual.snn.json');
const exact = path.join(dir, 'matmul.snn.json');
let calib = '';

beforeAll(async () => {
  // residual with snnc's defaults: 4 spiking layers, each resetting by subtraction from v(0) = 0.5.
  saveSnn(await convertFixture('fixtures/onnx/residual.onnx', [2, 6, 6], IF_DEFAULT), lossy);
  saveSnn(await convertFixture('fixtures/onnx/matmul.onnx', [1, 8, 8], IF_EXACT), exact);
  const images = randomImages([1, 8, 8], 20, 5);
  calib = writeIdxDataset(dir, 'calib', [20, 8, 8], images.pixels, images.labels);
});

describe('--target nir refuses what NIR cannot express, naming the flag', () => {
  it.each([
    [['--reset', 'subtract'], 'snnc: --reset subtract: --target nir resets to zero (NIR neurons reset to v_reset); drop --reset or use --target snnc'],
    [['--v-init', '0.5'], 'snnc: --v-init 0.5: --target nir starts at v(0) = 0 (NIR stores no initial state); drop --v-init or use --target snnc'],
    [['--t-ref', '1'], 'snnc: --t-ref 1: --target nir has no refractory period (NIR neurons have none); drop --t-ref or use --target snnc'],
    [['--calibrate', 'potential'], 'snnc: --calibrate potential: --target nir calibrates biases only (v(0) shifts are not expressible in NIR); drop --calibrate or use --target snnc'],
    [['--calibrate', 'gain'], 'snnc: --calibrate gain: --target nir calibrates biases only (v(0) shifts are not expressible in NIR); drop --calibrate or use --target snnc'],
  ])('%j', async (flags, message) => {
    const out = path.join(dir, 'refused.nir');
    const r = await run('export', 'fixtures/onnx/matmul.onnx', '--target', 'nir', '--format', 'nir', '--out', out, '--data', calib, '--calib-data', calib, ...flags);
    expect(r.stderr).toEqual([message]);
    expect(r.status).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a --target nir export has no loss: r = 1 (dt = 1), the current readout, and --strict passes', async () => {
    const out = path.join(dir, 'target.nir');
    const r = await run('export', 'fixtures/onnx/matmul.onnx', '--target', 'nir', '--percentile', '99', '--calib-samples', '20', '--format', 'nir', '--out', out, '--data', calib, '--calib-data', calib, '--strict');
    expect(r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/dt 1 s, 0 loss\(es\)/);
    expect(r.stdout).toMatch(/calibrate-bias: /);
    const g = readNirFile(out);
    expect([...g.nodes.values()].filter((n) => n.type === 'I')).toEqual([]);
    for (const n of [...g.nodes.values()].filter((n) => n.type === 'IF')) expect(new Set(n.params.get('r')!.value)).toEqual(new Set([1]));
    expect(String(g.metadata.get('snnc_target')!.value[0])).toBe('nir');
  });
});

describe('snnc export --format nir', () => {
  it('writes the file and prints one warning line per loss', async () => {
    const out = path.join(dir, 'residual.nir');
    const r = await run('export', lossy, '--format', 'nir', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stderr.length).toBe(8);
    expect(r.stderr.filter((l) => /^snnc: warning: NIR node '\w+' \(IF, from snnc '\/Relu(_\d)?'\): reset by subtraction/.test(l)).length).toBe(4);
    expect(r.stderr.filter((l) => /^snnc: warning: NIR node '\w+' \(IF, from snnc '\/Relu(_\d)?'\): initial membrane potential v\(0\) = 0\.5/.test(l)).length).toBe(4);
    expect(r.stdout).toMatch(new RegExp(`^wrote ${out}: NIR 1\\.0\\.0, \\d+ nodes, \\d+ edges, dt 1 s, 8 loss\\(es\\)`));
    const g = readNirFile(out);
    expect([...g.nodes.values()].filter((n) => n.type === 'IF').length).toBe(4);
  });

  it('--strict: exit 2, the losses listed, no file written and an existing one left alone', async () => {
    const out = path.join(dir, 'strict.nir');
    fs.writeFileSync(out, 'previous');
    const r = await run('export', lossy, '--format', 'nir', '--out', out, '--strict');
    expect(r.status).toBe(2);
    expect(r.stderr.length).toBe(9);
    expect(r.stderr.slice(0, 8).every((l) => l.startsWith('snnc: warning: NIR node '))).toBe(true);
    expect(r.stderr[8]).toBe(`snnc: --strict: 8 construct(s) NIR cannot express exactly (listed above); ${out} not written`);
    expect(fs.readFileSync(out, 'utf8')).toBe('previous');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--strict passes a network NIR expresses exactly, silently; --dt sets r = 1/dt', async () => {
    const out = path.join(dir, 'exact.nir');
    const r = await run('export', exact, '--format', 'nir', '--out', out, '--strict', '--dt', '0.01');
    expect(r.status).toBe(0);
    expect(r.stderr).toEqual([]);
    const ifs = [...readNirFile(out).nodes.values()].filter((n) => n.type === 'IF');
    expect(ifs.length).toBe(2);
    for (const n of ifs) expect(new Set(n.params.get('r')!.value)).toEqual(new Set([100]));
  });

  it('converts an ANN first, with the options of snnc convert', async () => {
    const out = path.join(dir, 'from-onnx.nir');
    const r = await run('export', 'fixtures/onnx/matmul.onnx', '--format', 'nir', '--out', out, '--data', calib, '--calib-data', calib, '--calib-samples', '20', '--reset', 'zero', '--v-init', '0', '--strict');
    expect(r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/relu-to-spike: '\/Relu' -> IF neurons/);
    const g = readNirFile(out);
    expect(g.nodes.get('Relu')!.type).toBe('IF');
    expect(String(g.metadata.get('source_model')!.value[0])).toBe('fixtures/onnx/matmul.onnx');
  });

  it.each([
    [['--format', 'onnx'], "snnc: --format: 'onnx' is not one of nir"],
    [['--format', 'nir', '--dt', '0'], 'snnc: --dt: 0 must be a positive number of seconds per step'],
    [['--format', 'nir', '--nir-readout', 'spikes'], "snnc: --nir-readout: 'spikes' is not one of current, integrator"],
    [['--format', 'nir', '--reset', 'zero'], /^snnc: .*residual\.snn\.json is already converted: --reset would have no effect/],
    [['--format', 'nir', '--nir-flatten', 'batch'], "snnc: --nir-flatten: 'batch' is not one of nir, zero, torch"],
    [['--format', 'nir', '--nir-threshold', '>'], "snnc: --nir-threshold: '>' is not one of gt, ge"],
    [['--format', 'nir', '--nir-compat', '1.0.5'], "snnc: --nir-compat: '1.0.5' is not one of current, 1.0.4"],
  ])('%j is a user error (exit 2, one line)', async (flags, message) => {
    const out = path.join(dir, 'bad.nir');
    const r = await run('export', lossy, '--out', out, ...flags);
    expect(r.status).toBe(2);
    expect(r.stderr.length).toBe(1);
    if (typeof message === 'string') expect(r.stderr[0]).toBe(message);
    else expect(r.stderr[0]).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });
});
