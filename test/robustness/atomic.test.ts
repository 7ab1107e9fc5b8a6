/**
 * Outputs are staged in a temporary file, flushed, and renamed into place: a failure leaves
 * the target as it was and no temporary behind; several files of one output (a manifest and
 * its weights) replace their targets only when all of them are written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkWritable, pendingTemporaries, writeFileAtomic, writeFilesAtomic } from '../../src/util/atomic-write.js';
import { tempDir } from '../helpers/idx.js';
import { temporariesIn } from './cli.js';

const dir = tempDir('snnc-atomic-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('replace a file whole and keep its permissions', () => {
    const file = path.join(dir, 'report.json');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o640);
    writeFileAtomic(file, '{"new": true}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"new": true}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(temporariesIn(dir)).toEqual([]);
    expect(pendingTemporaries()).toEqual([]);
  });

  it('leave the target as it was, and no temporary, when the rename fails', () => {
    const target = path.join(dir, 'taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'keep');
    expect(() => writeFileAtomic(target, 'data')).toThrow(UserError);
    expect(fs.readFileSync(path.join(target, 'inside'), 'utf8')).toBe('keep');
    expect(temporariesIn(dir)).toEqual([]);
    expect(pendingTemporaries()).toEqual([]);
  });

  it('write several files as one output: if one cannot be written, none is replaced', () => {
    const weights = path.join(dir, 'net.snn.bin');
    const manifest = path.join(dir, 'no-such-folder', 'net.snn.json');
    fs.writeFileSync(weights, 'good old weights');
    expect(() =>
      writeFilesAtomic([
        { file: weights, data: new Uint8Array([1, 2, 3]) },
        { file: manifest, data: '{}' },
      ]),
    ).toThrow(/no-such-folder\/net\.snn\.json: folder .*no-such-folder does not exist$/);
    expect(fs.readFileSync(weights, 'utf8')).toBe('good old weights');
    expect(temporariesIn(dir)).toEqual([]);
  });

  it('write several files as one output when all can be written', () => {
    const a = path.join(dir, 'a.snn.bin');
    const b = path.join(dir, 'a.snn.json');
    writeFilesAtomic([
      { file: a, data: new Uint8Array([1, 2, 3]) },
      { file: b, data: '{}' },
    ]);
    expect(Array.from(fs.readFileSync(a))).toEqual([1, 2, 3]);
    expect(fs.readFileSync(b, 'utf8')).toBe('{}');
  });
});

describe('checkWritable', () => {
  it('refuses a missing folder, a file as folder and a folder as file before any work', () => {
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, '');
    expect(() => checkWritable(path.join(dir, 'missing', 'r.json'), '--json')).toThrow(/^--json .*missing\/r\.json: folder .*missing does not exist$/);
    expect(() => checkWritable(path.join(file, 'r.json'), '--json')).toThrow(/is not a folder$/);
    expect(() => checkWritable(dir, '--json')).toThrow(/is a folder, expected a file name$/);
  });

  it.skipIf(os.userInfo().uid === 0)('refuses a folder it may not write into', () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, 0o500);
    expect(() => checkWritable(path.join(locked, 'r.json'), '--json')).toThrow(/folder .*locked is not writable$/);
  });
});
