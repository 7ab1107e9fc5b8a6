/**
 * How snnc processes end, through the binary: SIGINT / SIGTERM in the middle of an evaluation
 * (exit 130 / 143, one line, no output file, an existing output untouched, no temporaries),
 * internal errors (exit 70 with the stack, also for errors thrown outside any command), and a
 * reader that closes stdout early. Test hooks (test/robustness/hooks, preloaded with
 * --import) hold a run in the middle or plant a bug; snnc itself has no such switch.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/idx.js';
import { BIN, convertedConvnet, snnc, snncLines, startUntil, temporariesIn } from './cli.js';

const dir = tempDir('snnc-exit-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let data = '';
let model = '';

beforeAll(async () => {
  ({ data, net: model } = await convertedConvnet(dir, 40, 'convnet.snn.json'));
});

/** eval of the converted network on 40 samples in batches of 10: ANN runs 1-4, then the SNN's. */
const evalArgs = (json: string) => ['eval', model, '--data', data, '--json', json, '--batch', '10', '-T', '8'];

describe('signals', () => {
  it('the same eval, neither held nor signalled, writes its JSON report', async () => {
    const json = path.join(dir, 'complete.json');
    const r = await snnc(evalArgs(json));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(json, 'utf8')).samples).toBe(40);
  });

  it('SIGINT in the middle of eval --json: exit 130, one line, no JSON file, no temporaries', async () => {
    const json = path.join(dir, 'interrupted.json');
    const { child, done } = await startUntil(evalArgs(json), 'test-hook: blocked', { preload: 'block-ort.mjs', env: { SNNC_TEST_BLOCK_AT: '6' } });
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(snncLines(r.stderr)).toEqual(['snnc: interrupted by SIGINT']);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(json)).toBe(false);
    expect(temporariesIn(dir)).toEqual([]);
  });

  it('SIGTERM in the middle of eval --json: exit 143, and the report already there is left as it was', async () => {
    const json = path.join(dir, 'existing.json');
    fs.writeFileSync(json, '{"a good report": true}\n');
    const { child, done } = await startUntil(evalArgs(json), 'test-hook: blocked', { preload: 'block-ort.mjs', env: { SNNC_TEST_BLOCK_AT: '6' } });
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(143);
    expect(snncLines(r.stderr)).toEqual(['snnc: interrupted by SIGTERM']);
    expect(fs.readFileSync(json, 'utf8')).toBe('{"a good report": true}\n');
    expect(temporariesIn(dir)).toEqual([]);
  });
});

describe('internal errors', () => {
  it.each([
    ['throw', 'TypeError: injected bug'],
    ['stray', 'RangeError: injected stray error'],
    ['rejection', 'Error: injected rejection'],
  ])('a bug (%s) says so, prints the stack and exits 70', async (bug, error) => {
    const r = await snnc(['inspect', 'fixtures/onnx/convnet.onnx'], { preload: 'inject-bug.mjs', env: { SNNC_TEST_BUG: bug } });
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^snnc: internal error \(a bug in snnc, please report it\): /);
    expect(r.stderr).toContain(error);
    expect(r.stderr).toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('a user error prints one line and no stack', async () => {
    const r = await snnc(['inspect', path.join(dir, 'missing.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`snnc: ${path.join(dir, 'missing.onnx')}: no such file\n`);
  });
});

describe('a reader that stops reading', () => {
  it('stdout closed early (snnc inspect | head): exit 141 quietly, as SIGPIPE would', async () => {
    const child = spawn(process.execPath, [BIN, 'inspect', 'fixtures/onnx/residual.onnx'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(141);
    expect(stderr).toBe('');
  });
});
