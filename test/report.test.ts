/**
 * eval --plot, --report and --json: the chart is parsed as XML, the HTML report is checked to
 * be self-contained with one table row per ReLU of the original ONNX file (counted from the
 * file itself), and the JSON is reproducible byte for byte with --no-timing.
 */
import fs from 'node:fs';
import path from 'node:path';
import onnx from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerTable } from '../src/report/html.js';
import { accuracyChart } from '../src/report/charts.js';
import { renderSvg } from '../src/report/svg.js';
import { ppDelta } from '../src/util/format.js';
import { snnc } from './helpers/cli.js';
import { snncInProcess } from './helpers/cli-in-process.js';
import { tempDir } from './helpers/idx.js';
import { CONVNET, convnetData } from './helpers/labelled.js';
import { findAll, parseXmlFile } from './helpers/xml.js';

let dir: string;
let common: string[];
const read = (file: string) => fs.readFileSync(file, 'utf8');

beforeAll(async () => {
  dir = tempDir('snnc-report-');
  const { data, calib } = await convnetData(dir);
  // --v-init 0.5: these runs check the files written, not the choice of v(0) (--v-init auto's
  // search would simulate the calibration images twice per run).
  common = ['--data', data, '--calib-data', calib, '--calib-samples', '60', '--timesteps', '16', '--batch', '20', '--v-init', '0.5', '-q'];
});

describe('snnc eval --plot / --report / --json', () => {
  beforeAll(async () => {
    const r = await snncInProcess(['eval', CONVNET, ...common, '--plot', path.join(dir, 'acc.svg'), '--report', path.join(dir, 'report.html'), '--json', path.join(dir, 'a.json')]);
    expect(r.code).toBe(0);
  });

  it('plots one SNN line over T steps and the ANN reference line', () => {
    const svg = parseXmlFile(path.join(dir, 'acc.svg'));
    const lines = findAll(svg, (e) => e.tag === 'path' && (e.attrs['aria-roledescription'] ?? '') === 'line mark');
    expect(lines).toHaveLength(1);
    // One segment per step: M then T - 1 L commands.
    expect(lines[0]!.attrs.d!.match(/[ML]/g)).toHaveLength(16);
    const rules = findAll(svg, (e) => e.tag === 'line' && (e.attrs['aria-roledescription'] ?? '') === 'rule mark');
    expect(rules).toHaveLength(1);
    expect(findAll(svg, (e) => e.tag === 'text').map((t) => t.text)).toContain('ANN 100.00%');
  });

  it('writes a self-contained HTML report with a layer row per ReLU of the ONNX file', () => {
    const html = read(path.join(dir, 'report.html'));
    const model = onnx.onnx.ModelProto.decode(fs.readFileSync(CONVNET));
    const relus = model.graph!.node!.filter((n) => n.opType === 'Relu').length;
    expect(relus).toBe(3);
    expect(html).not.toMatch(/<script|<link|<img|\bsrc=|url\(http|href="http/i);
    expect(html.match(/<svg /g)).toHaveLength(2);
    const table = html.slice(html.indexOf('<h2>Layers</h2>'), html.indexOf('<h2>Conversion</h2>'));
    expect(table.match(/<tr><td>/g)).toHaveLength(relus);
    for (const title of ['firing rate', 'saturated', 'clipped in calibration', 'neurons']) expect(table).toContain(title);
    const json = JSON.parse(read(path.join(dir, 'a.json')));
    for (const l of json.layers) expect(table).toContain(`<td>${l.name}</td>`);
    // The two inline charts keep distinct element ids.
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps timing in its own field; --no-timing makes reruns byte-identical', async () => {
    const a = JSON.parse(read(path.join(dir, 'a.json')));
    expect(Object.keys(a.timing)).toEqual(['calibrationSeconds', 'annSeconds', 'snnSeconds', 'totalSeconds']);
    // One rerun in this process, one through the binary.
    const files = [path.join(dir, 'b.json'), path.join(dir, 'c.json')];
    expect((await snncInProcess(['eval', CONVNET, ...common, '--json', files[0]!, '--no-timing'])).code).toBe(0);
    expect((await snnc(['eval', CONVNET, ...common, '--json', files[1]!, '--no-timing'])).code).toBe(0);
    const [b, c] = files.map(read);
    expect(b).toBe(c);
    const { timing, ...rest } = a;
    expect(timing.totalSeconds).toBeGreaterThan(0);
    expect(JSON.parse(b!)).toEqual(rest);
  });

  it('--json - prints the same JSON on stdout, in place of the text', async () => {
    const r = await snnc(['eval', CONVNET, ...common, '--json', '-', '--no-timing']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(read(path.join(dir, 'b.json')));
    expect(fs.existsSync('-')).toBe(false);
  });
});

describe('report rendering', () => {
  it('renders every numeric per-layer field, known or not', () => {
    const html = layerTable([
      { name: 'conv1', neurons: 10, firingRate: 0.25, synapticOps: 1200, energy: { totalPj: 3.5, note: 'x' }, lambda: [1, 2, 3], kind: 'spike' } as never,
    ]);
    expect(html).toContain('<th>synaptic ops</th>');
    expect(html).toContain('<th>energy / total pj</th>');
    expect(html).toContain('>1200<');
    expect(html).toContain('>3.500<');
    expect(html).toContain('1.000 … 3.000 (3)');
    expect(html).not.toContain('>spike<');
  });

  it('renders the same chart to the same bytes whatever was rendered before', async () => {
    const spec = accuracyChart([{ label: 'a', accuracyByStep: [0.1, 0.5, 0.9] }], [{ label: 'ANN', accuracy: 0.95 }], { text: 't' });
    const first = await renderSvg(spec);
    await renderSvg(spec, 'other');
    expect(await renderSvg(spec)).toBe(first);
  });
});

describe('accuracy differences', () => {
  it('are signed percentage points, and a difference that rounds to zero has no sign', () => {
    expect(ppDelta(0.9126, 0.9115)).toBe('+0.11 pp');
    expect(ppDelta(0.9057, 0.9115)).toBe('-0.58 pp');
    expect(ppDelta(0.99, 0.99)).toBe('0.00 pp');
    expect(ppDelta(0.99999, 1)).toBe('0.00 pp');
  });
});
