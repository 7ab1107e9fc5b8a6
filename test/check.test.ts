/**
 * snnc check on the tiny convnet fixture. The conditions are judged against facts that do not
 * come from snnc: the test labels are the original model's argmax on onnxruntime (so the ANN
 * accuracy is exactly 1 and no SNN can beat it), and a neuron with refractory period k fires at
 * most once every k + 1 steps. The JUnit file is read by an independent XML parser.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { snnc } from './helpers/cli.js';
import { tempDir } from './helpers/idx.js';
import { CONVNET, convnetData } from './helpers/labelled.js';
import { findAll, parseXmlFile } from './helpers/xml.js';

let dir: string;
let common: string[];

function baseline(name: string, body: object): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ format: 'snnc-baseline', schemaVersion: 1, timesteps: 16, ...body }));
  return file;
}

beforeAll(async () => {
  dir = tempDir('snnc-check-');
  const { data, calib } = await convnetData(dir);
  // --v-init 0.5: what these runs check is the baseline against the run's own numbers, not the
  // choice of v(0); --v-init auto's search would simulate the calibration images twice per run.
  common = ['--data', data, '--calib-data', calib, '--calib-samples', '60', '--timesteps', '16', '--batch', '20', '--t-ref', '1', '--v-init', '0.5', '-q'];
});

describe('snnc check', () => {
  it('exits 1 on an impossible baseline, printing each failing condition with expected and measured', async () => {
    const file = baseline('impossible.json', {
      tolerance: { accuracy: 0, firingRate: 0 },
      annAccuracy: { min: 1 },
      // The SNN 50 pp above an ANN that is right on every sample.
      dropFromAnn: { max: -0.5 },
      meanFiringRate: { max: 0 },
    });
    const junit = path.join(dir, 'impossible.xml');
    const r = await snnc(['check', CONVNET, ...common, '--baseline', file, '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/PASS {2}ANN accuracy: expected >= 100\.00% .*measured 100\.00%/);
    expect(r.stdout).toMatch(/FAIL {2}drop from the ANN at t=16: expected <= -50\.00 pp .*measured \d+\.\d\d pp/);
    expect(r.stdout).toMatch(/FAIL {2}mean firing rate: expected <= 0 spikes\/neuron\/step .*measured 0\.\d+/);
    expect(r.stdout).toMatch(/2 of 3 conditions failed: drop from the ANN at t=16; mean firing rate/);

    const xml = parseXmlFile(junit);
    expect(xml.tag).toBe('testsuites');
    expect(xml.attrs).toMatchObject({ tests: '3', failures: '2', errors: '0' });
    const cases = findAll(xml, (e) => e.tag === 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['ANN accuracy', 'drop from the ANN at t=16', 'mean firing rate']);
    const failures = findAll(xml, (e) => e.tag === 'failure');
    expect(failures).toHaveLength(2);
    expect(failures[0]!.attrs.message).toMatch(/^expected <= -50\.00 pp .*measured/);
  });

  it('exits 0 on a baseline the run meets exactly, and 1 with each SNN condition failed one sample beyond it', async () => {
    // The run's numbers, from eval; the bounds below are computed here from its per-step
    // accuracies and per-layer rates, so each condition sits exactly on its boundary.
    // Without a refractory period the fixture's accuracy still rises at t = 16 (a latency to test).
    const flags = [...common, '--t-ref', '0'];
    const json = path.join(dir, 'boundary.json');
    expect((await snnc(['eval', CONVNET, ...flags, '--json', json])).code).toBe(0);
    const e = JSON.parse(fs.readFileSync(json, 'utf8'));
    const acc: number[] = e.snn.accuracyByStep;
    const layers: { neurons: number; firingRate: number }[] = e.layers;
    const rate = layers.reduce((s, l) => s + l.firingRate * l.neurons, 0) / layers.reduce((s, l) => s + l.neurons, 0);
    // Latency to the accuracy reached at t = 16 (as a gap to the ANN in pp, plus a hair).
    const withinPp = 100 * (e.ann.accuracy - acc[15]!) + 1e-3;
    const firstWithin = acc.findIndex((a) => a >= e.ann.accuracy - withinPp / 100) + 1;
    expect(firstWithin).toBeGreaterThan(1);
    const oneSample = 1 / e.samples;
    const exact = {
      tolerance: { accuracy: 0, firingRate: 0, steps: 0 },
      annAccuracy: { min: e.ann.accuracy },
      accuracy: [{ t: 8, min: acc[7]! }, { t: 16, min: acc[15]! }],
      dropFromAnn: { t: 16, max: e.ann.accuracy - acc[15]! },
      meanFiringRate: { max: rate },
      latency: [{ withinPp, max: firstWithin }],
    };
    // The ANN is right on every sample by construction: no bound above it can be written.
    expect(e.ann.accuracy).toBe(1);
    const beyond = {
      ...exact,
      accuracy: exact.accuracy.map((a) => ({ t: a.t, min: a.min + oneSample })),
      dropFromAnn: { t: 16, max: exact.dropFromAnn.max - oneSample },
      meanFiringRate: { max: rate * (1 - 1e-3) },
      latency: [{ withinPp, max: firstWithin - 1 }],
    };

    const junit = path.join(dir, 'met.xml');
    const met = await snnc(['check', CONVNET, ...flags, '--baseline', baseline('met.json', exact), '--junit', junit]);
    expect(met.stdout).toContain('all 6 conditions hold');
    expect(met.code).toBe(0);
    const xml = parseXmlFile(junit);
    expect(xml.attrs).toMatchObject({ tests: '6', failures: '0' });
    expect(findAll(xml, (e) => e.tag === 'failure')).toHaveLength(0);

    const missed = await snnc(['check', CONVNET, ...flags, '--baseline', baseline('missed.json', beyond)]);
    expect(missed.stderr).toBe('');
    expect(missed.code).toBe(1);
    expect(missed.stdout.match(/^ {2}FAIL /gm)).toHaveLength(5);
    expect(missed.stdout).toMatch(/^ {2}PASS {2}ANN accuracy/m);
    expect(missed.stdout).toContain('5 of 6 conditions failed');
  });

  it('--update writes a YAML baseline with the numbers of eval, which the same run then meets', async () => {
    const file = path.join(dir, 'updated.yaml');
    const u = await snnc(['check', CONVNET, ...common, '--baseline', file, '--update']);
    expect(u.code).toBe(0);
    const b = parseYaml(fs.readFileSync(file, 'utf8'));
    const json = path.join(dir, 'eval.json');
    expect((await snnc(['eval', CONVNET, ...common, '--json', json])).code).toBe(0);
    const e = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(b).toMatchObject({ format: 'snnc-baseline', schemaVersion: 1, timesteps: 16, annAccuracy: { min: e.ann.accuracy } });
    expect(b.accuracy.map((a: { t: number }) => a.t)).toEqual([1, 2, 4, 8, 16]);
    for (const a of b.accuracy) expect(a.min).toBeCloseTo(e.snn.accuracyByStep[a.t - 1], 6);
    expect(b.dropFromAnn.max).toBeCloseTo(e.ann.accuracy - e.snn.finalAccuracy, 6);
    expect(b.measuredOn).toMatchObject({ samples: 40, conversion: { tRefSteps: 1 } });

    // The baseline's T is used when --timesteps is not given.
    const withoutT = common.filter((a, i) => a !== '--timesteps' && common[i - 1] !== '--timesteps');
    const c = await snnc(['check', CONVNET, ...withoutT, '--baseline', file]);
    expect(c.stdout).toMatch(/T = 16, .*all \d+ conditions hold/s);
    expect(c.code).toBe(0);
  });

  it.each([
    ['unknown field', { annAccuracy: { min: 0.5 }, maxAccuracy: 1 }, /unknown field 'maxAccuracy'/],
    ['no condition', {}, /states no condition/],
    ['t beyond T', { accuracy: [{ t: 64, min: 0.5 }] }, /--timesteps 16: .* looks at t = 64/],
    ['bad number', { meanFiringRate: { max: 'low' } }, /meanFiringRate\.max: expected a finite number >= 0 <= 1, got "low"/],
  ])('exits 2 on a bad baseline (%s), writing no JUnit file', async (name, body, message) => {
    const file = baseline(`bad-${name.replace(/ /g, '-')}.json`, body);
    const junit = path.join(dir, `bad-${name}.xml`);
    const r = await snnc(['check', CONVNET, ...common, '--baseline', file, '--junit', junit]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(junit)).toBe(false);
  });
});
