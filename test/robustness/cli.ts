/** Runs the snnc binary (bin/snnc on dist/, built by test/setup/build.ts) for the robustness tests. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { snncInProcess } from '../helpers/cli-in-process.js';
import { idxBytes } from '../helpers/idx.js';

export const BIN = path.resolve('bin/snnc');
export const HOOKS = path.resolve('test/robustness/hooks');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs snnc to completion; `preload` names a hook in test/robustness/hooks. */
export function snnc(args: string[], options: { env?: Record<string, string>; preload?: string } = {}): Promise<RunResult> {
  const node = options.preload ? ['--import', path.join(HOOKS, options.preload)] : [];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...node, BIN, ...args],
      { env: { ...process.env, ...options.env }, timeout: 120_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/** Starts snnc and resolves once its stderr contains `marker`; the caller signals it and awaits `done`. */
export function startUntil(
  args: string[],
  marker: string,
  options: { env?: Record<string, string>; preload?: string } = {},
): Promise<{ child: ChildProcess; done: Promise<RunResult> }> {
  const node = options.preload ? ['--import', path.join(HOOKS, options.preload)] : [];
  const child = spawn(process.execPath, [...node, BIN, ...args], { env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const done = new Promise<RunResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      const before = stderr.includes(marker);
      stderr += d.toString();
      if (!before && stderr.includes(marker)) resolve({ child, done });
    });
    void done.then((r) => reject(new Error(`snnc ended before '${marker}': exit ${r.code}, stderr ${r.stderr}`)));
  });
}

/** stderr without the lines the test hooks print. */
export function snncLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('test-hook:'));
}

/** Writes n images [n,18,18] with labels 0..4 (what fixtures/onnx/convnet.onnx takes); returns the idx: spec. */
export function convnetData(dir: string, n: number): string {
  const images = path.join(dir, 'images.idx');
  const labels = path.join(dir, 'labels.idx');
  fs.writeFileSync(images, idxBytes([n, 18, 18], Uint8Array.from({ length: n * 324 }, (_, i) => (i * 7) % 256)));
  fs.writeFileSync(labels, idxBytes([n], Uint8Array.from({ length: n }, (_, i) => i % 5)));
  return `idx:${images},${labels}`;
}

/**
 * The convnet fixture converted on `n` generated images in `dir`: the data spec and the
 * converted network's manifest, for suites that need a valid .snn.json to start from. Converted
 * in this process (the conversion is the suites' starting point, not what they test).
 */
export async function convertedConvnet(dir: string, n: number, name = 'convnet.snn.json'): Promise<{ data: string; net: string }> {
  const data = convnetData(dir, n);
  const net = path.join(dir, name);
  const r = await snncInProcess(['convert', 'fixtures/onnx/convnet.onnx', '--out', net, '--data', data, '--calib-data', data, '-q']);
  if (r.code !== 0) throw new Error(`converting the convnet fixture failed: ${r.stderr}`);
  return { data, net };
}

/** Temporary files (atomic writes in progress) left in a folder. */
export function temporariesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}
