/**
 * --config files (YAML and JSON) for eval, convert and sweep: values reach the commands as
 * their flags would (checked in the JSON report, whose fields come from the parsed flags),
 * flags on the command line override the file, unknown keys are user errors. The runs that
 * succeed go through the command's code in this process, the refusals through bin/snnc.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { snnc } from './helpers/cli.js';
import { snncInProcess } from './helpers/cli-in-process.js';
import { tempDir } from './helpers/idx.js';
import { CONVNET, convnetData } from './helpers/labelled.js';

let dir: string;
let base: Record<string, unknown>;

function config(name: string, body: Record<string, unknown>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, name.endsWith('.json') ? JSON.stringify(body) : toYaml(body));
  return file;
}

beforeAll(async () => {
  dir = tempDir('snnc-config-');
  const { data, calib } = await convnetData(dir, 10, 20);
  base = { data, 'calib-data': calib, calibSamples: 20, quiet: true };
});

describe('--config', () => {
  it('gives eval its options from YAML (kebab or camelCase keys); flags override the file', async () => {
    const json = path.join(dir, 'eval.json');
    const file = config('eval.yaml', { ...base, timesteps: 4, percentile: 100, 't-ref': 1, channelwise: true, json, timing: false });
    expect((await snncInProcess(['eval', CONVNET, '--config', file])).code).toBe(0);
    const a = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(a.snn.timesteps).toBe(4);
    expect(a.conversion).toMatchObject({ percentile: 100, tRefSteps: 1, channelwise: true, calibSamples: 20 });
    expect('timing' in a).toBe(false);

    expect((await snncInProcess(['eval', CONVNET, '--config', file, '--timesteps', '3', '--t-ref', '0'])).code).toBe(0);
    const b = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(b.snn.timesteps).toBe(3);
    expect(b.conversion).toMatchObject({ percentile: 100, tRefSteps: 0 });
  });

  it('gives convert its --out, and counts as given for a converted network', async () => {
    const out = path.join(dir, 'net.snn.json');
    const r = await snncInProcess(['convert', CONVNET, '--config', config('convert.json', { ...base, out })]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
    const e = await snnc(['eval', out, '--config', config('eval-snn.yaml', { data: base.data, percentile: 99, quiet: true })]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/already converted: --percentile would have no effect/);
  });

  it('gives sweep a grid as a map; a --grid flag replaces that key only', async () => {
    const out = path.join(dir, 'sweep');
    const file = config('sweep.yaml', { ...base, timesteps: 2, out, timing: false, grid: { percentile: [99.9, 100], 't-ref': [0, 1] } });
    const r = await snncInProcess(['sweep', CONVNET, '--config', file, '--grid', 't-ref=1']);
    expect(r.code).toBe(0);
    const s = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(s.results.map((x: { label: string }) => x.label)).toEqual(['percentile=99.9 t-ref=1', 'percentile=100 t-ref=1']);
  });

  it.each([
    ['unknown key', 'bad.yaml', { ...{ percentile: 99 }, frobnicate: 1 }, /--config .*bad\.yaml: unknown option 'frobnicate' for snnc eval/],
    ['a sweep-only key', 'grid.json', { grid: { percentile: [99] } }, /unknown option 'grid' for snnc eval/],
    ['a map for a number', 'map.yaml', { percentile: { p: 99 } }, /percentile: expected a number, a string or a list of them/],
    ['a number for a switch', 'switch.yaml', { channelwise: 1 }, /channelwise: expected true or false, got 1/],
  ])('refuses %s with exit 2', async (_name, file, body, message) => {
    const r = await snnc(['eval', CONVNET, '--config', config(file, body)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a file that is not YAML, naming the line', async () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'percentile: 99\n  t-ref: [0\n');
    const r = await snnc(['eval', CONVNET, '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--config .*broken\.yaml: not valid YAML at line \d/);
  });
});
