/**
 * snnc sweep and merge on the tiny convnet fixture, with test images labelled by the
 * original model on onnxruntime (so the ANN accuracy is 1 by construction). References: each
 * configuration must give what the core gives for its settings written out by hand; the refractory ceiling
 * r_max = 1 / (t_ref + 1) bounds every firing rate; the charts are parsed as XML.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertAnn } from '../src/convert/convert.js';
import { loadModel } from '../src/convert/load-model.js';
import { evaluate } from '../src/eval/evaluate.js';
import type { SweepFile } from '../src/eval/sweep.js';
import { loadDataset } from '../src/io/data/registry.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { DEFAULT_CONVERSION } from '../src/model/conversion-settings.js';
import { DEFAULT_PREPROCESS } from '../src/model/dataset.js';
import { snnc } from './helpers/cli.js';
import { snncInProcess } from './helpers/cli-in-process.js';
import { tempDir } from './helpers/idx.js';
import { CONVNET, convnetData } from './helpers/labelled.js';
import { findAll, parseXmlFile, type XmlElement } from './helpers/xml.js';

let dir: string;
let data: { data: string; calib: string };
let common: string[];
const GRID = ['--grid', 'percentile=100,100.0', '--grid', 't-ref=0,1'];
const read = (file: string) => fs.readFileSync(file, 'utf8');
const results = (out: string) => JSON.parse(read(path.join(out, 'results.json'))) as SweepFile;

/** A sweep in this process (the command's code), or with `binary` through bin/snnc. */
async function sweep(out: string, extra: string[], binary = false) {
  const run = binary ? snnc : snncInProcess;
  const r = await run(['sweep', CONVNET, ...common, ...GRID, '--out', path.join(dir, out), ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
}

/** Marks of a vega-lite layer: the <g class="mark-<type> role-mark layer_<i>_marks"> groups. */
function marks(svg: XmlElement, type: string, layer: number): XmlElement[] {
  return findAll(svg, (e) => e.tag === 'g' && (e.attrs.class ?? '').split(' ').includes(`mark-${type}`) && (e.attrs.class ?? '').includes(`layer_${layer}_marks`));
}

beforeAll(async () => {
  dir = tempDir('snnc-sweep-');
  data = await convnetData(dir);
  // --v-init 0.5: the grid is over percentile and t-ref; --v-init auto's search would simulate
  // the calibration images twice per conversion (sweep.test runs 8 conversions).
  common = ['--data', data.data, '--calib-data', data.calib, '--calib-samples', '60', '--timesteps', '16', '--batch', '20', '--v-init', '0.5', '-q'];
});

describe('snnc sweep', () => {
  let full: SweepFile;
  let stdout: string;
  beforeAll(async () => {
    stdout = (await sweep('full', ['--no-timing'])).stdout;
    full = results(path.join(dir, 'full'));
  });

  it('runs one configuration per grid point, first axis slowest', () => {
    expect(full.configurations).toBe(4);
    expect(full.results.map((r) => r.label)).toEqual(['percentile=100 t-ref=0', 'percentile=100 t-ref=1', 'percentile=100.0 t-ref=0', 'percentile=100.0 t-ref=1']);
    expect(full.results.map((r) => r.snn.accuracyByStep.length)).toEqual([16, 16, 16, 16]);
    expect(full.results.map((r) => r.conversion.tRefSteps)).toEqual([0, 1, 0, 1]);
    expect('timing' in full).toBe(false);
  });

  it('converts once per distinct parsed conversion: 100 and 100.0 share one', () => {
    expect(stdout).toContain('4 of 4 configurations, 2 conversions');
    const [a, , c] = full.results;
    expect(c!.conversion).toEqual(a!.conversion);
    expect(c!.snn).toEqual(a!.snn);
    expect(c!.layers).toEqual(a!.layers);
  });

  it('gives each configuration what the core gives for its settings, without the CLI', async () => {
    // The reference bypasses flags, grid parsing, plans and conversion sharing: the settings
    // are written out here and handed to convertAnn and evaluate directly.
    // Configurations 0 and 2 (percentile=100 and 100.0) have the same settings written out,
    // as have 1 and 3: each pair is compared with one reference run.
    const ann = (await loadModel(CONVNET)) as LoadedAnn;
    const evalData = loadDataset(data.data);
    for (const [ids, tRefSteps] of [[[0, 2], 0], [[1, 3], 1]] as const) {
      // --v-init 0.5: a fixed fraction, no search (the settings carry no vInitAuto).
      const { vInitAuto: _auto, ...fixed } = DEFAULT_CONVERSION;
      const options = { ...fixed, percentile: 100, tRefSteps, vInitFraction: 0.5, vInitRandom: false, calibSamples: 60, calibTimesteps: 16 };
      const { model } = await convertAnn(ann, DEFAULT_PREPROCESS, options, loadDataset(data.calib), { batchSize: 20 });
      const e = await evaluate(model, evalData, { timesteps: 16, batchSize: 20 });
      for (const id of ids) {
        const s = full.results[id]!;
        expect(s.snn.accuracyByStep, `configuration ${id}`).toEqual(e.accuracyByStep);
        expect(s.layers, `configuration ${id}`).toEqual(e.layers);
        expect(s.ann.accuracy, `configuration ${id}`).toBe(e.annAccuracy);
        expect(s.conversion, `configuration ${id}`).toEqual(model.conversion);
      }
    }
  });

  it('has the ANN at 1 (labels from onnxruntime) and every rate under the refractory ceiling', () => {
    for (const r of full.results) {
      expect(r.ann.accuracy).toBe(1);
      const rMax = 1 / (r.conversion.tRefSteps + 1);
      expect(r.layers).toHaveLength(3);
      for (const l of r.layers) expect(l.firingRate).toBeLessThanOrEqual(rMax);
      const spikes = r.layers.reduce((s, l) => s + l.firingRate * l.neurons, 0);
      expect(r.meanFiringRate).toBeCloseTo(spikes / r.layers.reduce((s, l) => s + l.neurons, 0), 12);
      // Default target: 1 pp below the ANN.
      expect(r.target.accuracy).toBeCloseTo(0.99, 12);
      const first = r.snn.accuracyByStep.findIndex((a) => a >= 0.99);
      expect(r.target.steps).toBe(first < 0 ? null : first + 1);
    }
  });

  it('writes results.csv with one row per configuration', () => {
    const rows = read(path.join(dir, 'full', 'results.csv')).trimEnd().split('\r\n').map((l) => l.split(','));
    const header = rows[0]!;
    expect(header.slice(0, 3)).toEqual(['id', 'percentile', 't-ref']);
    expect(header.filter((h) => h.startsWith('acc_t'))).toHaveLength(16);
    expect(rows).toHaveLength(5);
    for (const r of full.results) {
      const row = rows[r.id + 1]!;
      expect(row.slice(0, 3)).toEqual([String(r.id), r.params.percentile, r.params['t-ref']]);
      const acc = header.flatMap((h, i) => (h.startsWith('acc_t') ? [Number(row[i])] : []));
      expect(acc).toEqual(r.snn.accuracyByStep);
    }
  });

  it('draws one line per configuration and the ANN line; one Pareto marker per configuration', () => {
    const acc = parseXmlFile(path.join(dir, 'full', 'accuracy.svg'));
    expect(acc.tag).toBe('svg');
    const lineGroups = marks(acc, 'line', 0);
    expect(lineGroups.flatMap((g) => g.children.filter((c) => c.tag === 'path'))).toHaveLength(4);
    expect(marks(acc, 'rule', 1).flatMap((g) => g.children.filter((c) => c.tag === 'line'))).toHaveLength(1);
    const pareto = parseXmlFile(path.join(dir, 'full', 'pareto.svg'));
    expect(marks(pareto, 'symbol', 1).flatMap((g) => g.children.filter((c) => c.tag === 'path'))).toHaveLength(4);
  });

  it('writes byte-identical files when run again (through the binary)', async () => {
    await sweep('again', ['--no-timing'], true);
    for (const f of ['results.json', 'results.csv', 'accuracy.svg', 'pareto.svg']) {
      expect(read(path.join(dir, 'again', f)), f).toBe(read(path.join(dir, 'full', f)));
    }
  });

  it('merges shards into the unsharded sweep, byte for byte apart from timing', async () => {
    await Promise.all([sweep('shard1', ['--shard', '1/2']), sweep('shard2', ['--shard', '2/2'])]);
    const s1 = results(path.join(dir, 'shard1'));
    expect(s1.shard).toEqual({ index: 1, count: 2 });
    expect(s1.results.map((r) => r.id)).toEqual([0, 2]);
    expect(s1.timing!.configurations.map((c) => c.id)).toEqual([0, 2]);
    expect(s1.timing!.totalSeconds).toBeGreaterThan(0);

    const merged = path.join(dir, 'merged');
    const m = await snnc(['merge', path.join(dir, 'shard2'), path.join(dir, 'shard1'), '--out', merged, '--no-timing']);
    expect(m.code).toBe(0);
    for (const f of ['results.json', 'results.csv', 'accuracy.svg', 'pareto.svg']) expect(read(path.join(merged, f)), f).toBe(read(path.join(dir, 'full', f)));

    const timed = path.join(dir, 'merged-timed');
    expect((await snnc(['merge', path.join(dir, 'shard1'), path.join(dir, 'shard2'), '--out', timed])).code).toBe(0);
    const { timing, ...rest } = results(timed);
    expect(timing!.configurations.map((c) => c.id)).toEqual([0, 1, 2, 3]);
    expect(JSON.stringify(rest)).toBe(JSON.stringify(full));
  });

  it('refuses a merge with a shard missing or given twice (exit 2)', async () => {
    const a = await snnc(['merge', path.join(dir, 'shard1'), '--out', path.join(dir, 'm-missing')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/2 of 4 configurations missing \(ids 1, 3\)/);
    const b = await snnc(['merge', path.join(dir, 'shard1'), path.join(dir, 'full'), '--out', path.join(dir, 'm-twice')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/configuration 0 .* is in both/);
    expect(fs.existsSync(path.join(dir, 'm-missing'))).toBe(false);
  });

  it.each([
    [['--grid', 'tau=1,2'], /--grid tau: not a conversion or run option; grid keys are .*\bpercentile\b/],
    [['--grid', 'timesteps=8,16'], /--grid timesteps: every run gives the accuracy at each t/],
    [['--grid', 'percentile=99,abc'], /configuration percentile=abc .*--percentile: 'abc' is not a number/],
    [['--grid', 'channelwise=yes'], /--channelwise is a switch/],
    [['--grid', 'reset=subtract,half'], /--reset: 'half' is not one of subtract, zero/],
    [['--shard', '3/2'], /--shard 3\/2: need 1 <= i <= n/],
  ])('refuses %j with one line and exit 2, writing nothing', async (extra, message) => {
    const out = path.join(dir, 'refused');
    const r = await snnc(['sweep', CONVNET, ...common, ...GRID, '--out', out, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(false);
  });
});
