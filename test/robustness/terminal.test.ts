/**
 * Nothing from a model, a dataset spec or a file reaches a terminal raw: names with escape
 * sequences (set the title, clear the screen), carriage returns and newlines (forge an output
 * line) are printed escaped by the one function every printed line goes through (oneLine, in
 * src/cli/print.ts), in tables, logs, warnings and errors, on stdout and stderr alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/idx.js';
import { convnetData, snnc } from './cli.js';
import { editOnnx } from './onnx-edit.js';

const dir = tempDir('snnc-terminal-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TITLE = '\u001b]0;owned\u0007';
const CLEAR = '\u001b[2J\r';
const FORGED = '\nFORGED: all checks passed';
let model = '';
let data = '';

/** No control character but newline anywhere, and no line that a name forged. */
function expectClean(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  expect(text.split('\n').some((l) => l.startsWith('FORGED'))).toBe(false);
}

beforeAll(() => {
  data = convnetData(dir, 10);
  model = path.join(dir, 'evil.onnx');
  fs.writeFileSync(
    model,
    editOnnx('convnet.onnx', (m) => {
      m.producerName = `${TITLE}exporter${FORGED}`;
      for (const n of m.graph!.node!) n.name = `${CLEAR}${n.name ?? ''}\u202e${FORGED}`;
    }),
  );
});

describe('untrusted names are escaped where they are printed', () => {
  it('inspect: the layer table and the loading log', async () => {
    const r = await snnc(['inspect', model]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('\\x1b[2J\\r');
    expect(r.stdout).toContain('\\x1b]0;owned\\x07');
    expectClean(r.stdout);
  });

  it('convert and eval: the log and the per-layer table', async () => {
    const net = path.join(dir, 'evil.snn.json');
    for (const args of [
      ['convert', model, '--out', net],
      ['eval', model, '-T', '2'],
    ]) {
      const r = await snnc([...args, '--data', data, '--calib-data', data, '-q']);
      expect(r.code, r.stderr).toBe(0);
      expectClean(r.stdout);
      expectClean(r.stderr);
    }
    const r = await snnc(['eval', net, '-T', '2', '--data', data, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expectClean(r.stdout);
  });

  it("check: the warning about the baseline's measuredOn", async () => {
    const baseline = path.join(dir, 'b.json');
    fs.writeFileSync(baseline, JSON.stringify({ format: 'snnc-baseline', schemaVersion: 1, timesteps: 2, annAccuracy: { min: 0 }, measuredOn: { dataset: `${CLEAR}mnist${FORGED}`, samples: 3 } }));
    const r = await snnc(['check', model, '--baseline', baseline, '--data', data, '--calib-data', data, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^snnc: warning: .*b\.json was measured on another run: dataset \\x1b\[2J\\rmnist\\nFORGED/);
    expectClean(r.stderr);
    expectClean(r.stdout);
  });

  it('errors: a file name with escapes in a user error', async () => {
    const r = await snnc(['inspect', path.join(dir, `${TITLE}missing${FORGED}.onnx`)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expectClean(r.stderr);
  });
});
