/**
 * Every structured file snnc reads (--config, check --baseline, merge's results.json, a
 * converted network's .snn.json, a TF.js model.json) is checked by the one schema machinery
 * (src/util/schema.ts) after a parser that bounds nesting before anything recurses
 * (src/util/structured-text.ts): deep nesting, wrong types, missing fields and huge counts
 * end in one line naming the file and the field, exit 2, no output written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkSweepFile } from '../../src/eval/sweep.js';
import { jsonDepth, parseJsonText, parseYamlText, valueDepth } from '../../src/util/structured-text.js';
import { tempDir } from '../helpers/idx.js';
import { convertedConvnet, snnc, snncLines } from './cli.js';

const dir = tempDir('snnc-files-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const DEEP = '['.repeat(100_000);
let data = '';
let net = '';

beforeAll(async () => {
  ({ data, net: net } = await convertedConvnet(dir, 10, 'c.snn.json'));
});

describe('nesting is bounded before anything recurses', () => {
  it('the depth scan is iterative and ignores brackets in strings', () => {
    expect(jsonDepth(DEEP)).toBe(100_000);
    expect(jsonDepth('{"a": "[[[[", "b": [[1]]}')).toBe(3);
    expect(valueDepth(JSON.parse('[[[1]], {"a": {"b": []}}]'))).toBe(4);
  });

  it.each([
    ['JSON', () => parseJsonText(DEEP, 'x.json')],
    ['YAML flow', () => parseYamlText(DEEP, 'x.yaml', () => undefined)],
    ['YAML block', () => parseYamlText(`${'- '.repeat(100_000)}1\n`, 'x.yaml', () => undefined)],
  ])('%s nested 100,000 deep is one user error', (_, parse) => {
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(/nested more than 64 levels deep$/);
  });

  it('through the binary: --config, --baseline, merge inputs and a .snn.json (even in a field it ignores)', async () => {
    const deepNet = path.join(dir, 'deep.snn.json');
    const manifest = fs.readFileSync(net, 'utf8');
    fs.writeFileSync(deepNet, manifest.replace(/^\{/, `{"comment": ${DEEP}${']'.repeat(100_000)},`));
    fs.copyFileSync(net.replace(/json$/, 'bin'), deepNet.replace(/json$/, 'bin'));
    const deep = write('deep.json', DEEP);
    const shard = path.join(dir, 'shard');
    fs.mkdirSync(shard);
    fs.writeFileSync(path.join(shard, 'results.json'), DEEP);
    for (const [args, file] of [
      [['eval', 'fixtures/onnx/convnet.onnx', '--config', deep], deep],
      [['check', 'fixtures/onnx/convnet.onnx', '--baseline', deep], deep],
      [['merge', shard, '--out', path.join(dir, 'merged')], path.join(shard, 'results.json')],
      [['inspect', deepNet], deepNet],
    ] as const) {
      const r = await snnc([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(snncLines(r.stderr), args.join(' ')).toEqual([expect.stringContaining(`${file}: nested more than 64 levels deep`)]);
    }
    expect(fs.existsSync(path.join(dir, 'merged'))).toBe(false);
  });
});

describe('config values say what they are', () => {
  it.each([
    ['config.json', '{"limit": 1e400}', /limit: expected .*, got Infinity$/],
    ['config.yaml', 'limit: .nan\n', /limit: expected .*, got NaN$/],
    ['nested.yaml', 'limit: {a: {b: 1}}\n', /limit: expected true or false, a number, a string, a list of them, or a mapping of them, got a mapping with 1 field\(s\)$/],
  ])('%s', async (name, text, message) => {
    const r = await snnc(['eval', 'fixtures/onnx/convnet.onnx', '--config', write(name, text)]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(message)]);
  });

  it("the YAML library's warnings are one line of ours", async () => {
    const r = await snnc(['eval', 'fixtures/onnx/convnet.onnx', '--config', write('tag.yaml', 'limit: !foo 3\ndata: nonsense\n')]);
    const warnings = snncLines(r.stderr).filter((l) => l.includes('warning'));
    expect(warnings).toEqual([expect.stringMatching(/^snnc: warning: --config .*tag\.yaml: Unresolved tag: !foo \(line 1\)$/)]);
    expect(snncLines(r.stderr)).toHaveLength(2);
  });
});

describe('baselines', () => {
  it.each([
    ['a version given as text', { format: 'snnc-baseline', schemaVersion: '1', timesteps: 8, annAccuracy: { min: 0.5 } }, /schemaVersion: expected 1, got "1"$/],
    ['a count far too large', { format: 'snnc-baseline', schemaVersion: 1, timesteps: 3e9, annAccuracy: { min: 0.5 } }, /timesteps: expected an integer >= 1 <= 100000, got 3000000000$/],
  ])('%s', async (_, body, message) => {
    const r = await snnc(['check', 'fixtures/onnx/convnet.onnx', '--baseline', write('b.json', JSON.stringify(body))]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(message)]);
  });
});

describe('a baseline without measuredOn.dataset', () => {
  it('warns about nothing it does not know (no "measured on undefined")', async () => {
    const file = write('partial.json', JSON.stringify({ format: 'snnc-baseline', schemaVersion: 1, timesteps: 2, annAccuracy: { min: 0 }, measuredOn: { model: 'elsewhere.onnx' } }));
    const r = await snnc(['check', 'fixtures/onnx/convnet.onnx', '--baseline', file, '--data', data, '--calib-data', data, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/undefined/);
    expect(snncLines(r.stderr)).toEqual([]);
  });
});

describe('merge inputs', () => {
  const base = {
    format: 'snnc-sweep',
    schemaVersion: 1,
    model: 'm.onnx',
    dataset: 'mnist',
    samples: 10,
    timesteps: 2,
    target: null,
    grid: [{ key: 't-ref', values: ['0', '1'] }],
    configurations: 2,
    results: [],
  };
  const error = (value: unknown) => {
    try {
      checkSweepFile(value, 'r.json');
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('a result without its fields is named, not a TypeError', () => {
    expect(error({ ...base, results: [{ id: 0 }] })).toBe('r.json: results[0].label: missing');
  });

  it('a configurations count of 3e9 is refused before anything is allocated', () => {
    expect(error({ ...base, configurations: 3e9 })).toMatch(/^r\.json: configurations: expected an integer >= 1 <= 100000, got 3000000000$/);
  });

  it('a count that does not match the grid, and ids outside it', () => {
    expect(error({ ...base, configurations: 3 })).toBe('r.json: configurations is 3, the grid has 2');
  });

  it('through the binary: exit 2, one line, no output folder', async () => {
    const shard = path.join(dir, 'bad-shard');
    fs.mkdirSync(shard);
    fs.writeFileSync(path.join(shard, 'results.json'), JSON.stringify({ ...base, results: [{ id: 0 }] }));
    const out = path.join(dir, 'merged-bad');
    const r = await snnc(['merge', shard, '--out', out]);
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(/results\.json: results\[0\]\.label: missing$/)]);
    expect(fs.existsSync(out)).toBe(false);
  });
});
