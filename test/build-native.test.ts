/**
 * The native kernels' build (scripts/build-native.mjs) never fails a build: without a C
 * compiler, or when the compiler fails, it writes no library and says why in build.log, and
 * the runtime keeps to the WebAssembly kernels. With the machine's compiler it writes a
 * Node-API addon that loads.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildNative } from '../scripts/build-native.mjs';

let dir: string;
const cc = process.env.CC;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snnc-native-build-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (cc === undefined) delete process.env.CC;
  else process.env.CC = cc;
});

it('without a C compiler: no library, the reason in build.log, no exception', () => {
  process.env.CC = path.join(dir, 'no-such-cc');
  expect(buildNative({ outDir: dir })).toBeNull();
  expect(fs.existsSync(path.join(dir, 'native', 'snnc.node'))).toBe(false);
  expect(fs.readFileSync(path.join(dir, 'native', 'build.log'), 'utf8')).toMatch(/^not built: no C compiler/);
});

it('when the compiler fails: no library, its message in build.log', () => {
  process.env.CC = 'false';
  expect(buildNative({ outDir: dir })).toBeNull();
  expect(fs.existsSync(path.join(dir, 'native', 'snnc.node'))).toBe(false);
  expect(fs.readFileSync(path.join(dir, 'native', 'build.log'), 'utf8')).toMatch(/^not built: false failed/);
});

it.skipIf(process.platform === 'win32')('with the machine compiler: an addon that loads and lists its kernels', () => {
  delete process.env.CC;
  const file = buildNative({ outDir: dir });
  if (file === null) {
    // No compiler on this machine: the reason is recorded instead.
    expect(fs.readFileSync(path.join(dir, 'native', 'build.log'), 'utf8')).toMatch(/^not built: /);
    return;
  }
  const addon = createRequire(import.meta.url)(file) as Record<string, unknown>;
  for (const name of ['buildInfo', 'convEvents', 'denseEvents', 'misalignment', 'poolSpikes', 'scanIf', 'scanIfSteps']) expect(typeof addon[name], name).toBe('function');
  expect((addon.buildInfo as () => string)()).toMatch(/^C \(/);
});
