/**
 * Reads a TF.js layers model (model.json + weight shards) from disk with @tensorflow/tfjs's own
 * loader: tf.io.http parses model.json and its weights manifest, and a fetch function that only
 * reads files serves the requests. Every weight path of the manifest must name a file inside
 * the model's folder: URLs, absolute paths and '..' are refused before anything is read.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { InternalError, UserError } from '../../errors.js';
import { checkAllocation, defaultMaxMemoryBytes } from '../../util/memory-limit.js';
import { readFileBytes } from '../../util/read-file.js';
import { jsonDepth, MAX_NESTING } from '../../util/structured-text.js';
import { checkTopology } from './topology-check.js';

/** The parts of TF.js the loader uses: tfjs-core's file handlers and tfjs-layers' model loader. */
export interface TfModule {
  io: typeof Tf.io;
  loadLayersModel: typeof Tf.loadLayersModel;
}

let tfPromise: Promise<TfModule> | undefined;

/**
 * TF.js, loaded on first use: tfjs-core, tfjs-layers and the CPU backend (which holds the
 * weights), not the whole @tensorflow/tfjs (its converter, data and WebGL packages cost a
 * process about as much again to load); quiet (PROD mode skips the Node.js banner).
 */
export function loadTf(): Promise<TfModule> {
  tfPromise ??= Promise.all([import('@tensorflow/tfjs-core'), import('@tensorflow/tfjs-layers'), import('@tensorflow/tfjs-backend-cpu')]).then(([core, layers]) => {
    core.env().set('PROD', true);
    return { io: core.io, loadLayersModel: layers.loadLayersModel };
  });
  return tfPromise;
}

/** Resolves a manifest weight path inside `dir`, or explains why it is refused. */
export function resolveWeightPath(dir: string, name: string): string {
  const refuse = (why: string): never => {
    throw new UserError(`weights manifest path '${name}' ${why}; weight files must lie in the model's folder`);
  };
  if (name === '' || name.includes('\0')) refuse('is empty or holds a NUL byte');
  if (/^[a-z][a-z0-9+.-]*:/i.test(name)) refuse('is a URL');
  if (path.isAbsolute(name) || path.win32.isAbsolute(name) || name.startsWith('/') || name.startsWith('\\')) refuse('is absolute');
  if (name.split(/[\\/]/).includes('..')) refuse("climbs out with '..'");
  const file = path.resolve(dir, name);
  if (isOutside(dir, file)) refuse('resolves outside the folder');
  return file;
}

export interface TfjsFile {
  model: Tf.LayersModel;
  /** "generatedBy / convertedBy" from model.json. */
  producer: string;
  /** sha256 of model.json followed by the weight files in manifest order. */
  sha256: string;
  /** What TF.js warned about while building the model. */
  warnings: string[];
}

/** Most weight files a manifest may list (tfjs writes one per 4 MiB shard). */
export const MAX_WEIGHT_FILES = 1000;

function readOrRefuse(file: string, what: string, budgetBytes: number, dir?: string): Buffer {
  try {
    // A symbolic link inside the folder must not lead out of it either.
    if (dir !== undefined && isOutside(fs.realpathSync(dir), fs.realpathSync(file))) {
      throw new UserError(`weight file ${file} is a link to a file outside the model's folder`);
    }
    // Within the budget, and no device or pipe that never ends (refused before it is opened).
    return Buffer.from(readFileBytes(file, budgetBytes));
  } catch (err) {
    if (err instanceof UserError) throw new UserError(err.message.startsWith(file) ? `${what} ${err.message}` : err.message);
    throw new UserError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The size of a weight file, 0 if it cannot be read (reading it then says why). */
function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Whether `file` lies outside `dir` (a name such as '..weights.bin' inside it does not). */
function isOutside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}

/**
 * Loads model.json and its weights within `budgetBytes` in total (every weight file listed,
 * counted as often as the manifest lists it, since tfjs concatenates them all) and at most
 * MAX_WEIGHT_FILES weight entries; both are checked before a weight file is read.
 */
export async function readLayersModel(file: string, budgetBytes = defaultMaxMemoryBytes()): Promise<TfjsFile> {
  const tf = await loadTf();
  const modelFile = path.resolve(file);
  const dir = path.dirname(modelFile);
  const weightFiles: string[] = [];
  let manifestBytes = 0;
  const contents = new Map<string, Buffer>();
  const fetchFunc = async (url: string): Promise<Response> => {
    const isModel = url === modelFile;
    if (!isModel && !weightFiles.includes(url)) throw new InternalError(`unexpected request for ${url}`);
    const bytes = isModel ? readOrRefuse(url, 'model file', budgetBytes) : readOrRefuse(url, 'weight file', budgetBytes, dir);
    // tfjs parses model.json and recurses over it: bound its nesting first.
    if (isModel && jsonDepth(bytes.toString('utf8'), MAX_NESTING) > MAX_NESTING) throw new UserError(`model.json is nested more than ${MAX_NESTING} levels deep`);
    contents.set(url, bytes);
    return new Response(bytes);
  };
  const handler = tf.io.http(modelFile, {
    fetchFunc: fetchFunc as typeof fetch,
    weightUrlConverter: async (name: string) => {
      if (weightFiles.length >= MAX_WEIGHT_FILES) throw new UserError(`the weights manifest lists more than ${MAX_WEIGHT_FILES} weight files`);
      const resolved = resolveWeightPath(dir, name);
      weightFiles.push(resolved);
      manifestBytes += fileSize(resolved);
      checkAllocation(manifestBytes, `the weight files listed in the manifest (${weightFiles.length} so far)`, budgetBytes, true);
      return resolved;
    },
  });
  let producer = '';
  const recording: Tf.io.IOHandler = {
    load: async () => {
      const artifacts = await handler.load!();
      // Before tfjs deserialises it: a functional model wired to missing nodes would hang tfjs.
      checkTopology(artifacts.modelTopology);
      producer = [artifacts.generatedBy, artifacts.convertedBy].filter(Boolean).join(', ');
      if (artifacts.format && artifacts.format !== 'layers-model') {
        throw new UserError(`model.json has format '${artifacts.format}'; snnc reads TF.js layers models ('layers-model')`);
      }
      return artifacts;
    },
  };
  let model: Tf.LayersModel;
  // tfjs-layers prints its doubts about a topology with console.warn: keep them for the log.
  const warnings: string[] = [];
  try {
    model = await collectingWarnings(warnings, () => tf.loadLayersModel(recording, { strict: true }));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`not a loadable TF.js layers model: ${tfjsReason(err)}`);
  }
  const hash = crypto.createHash('sha256');
  for (const f of [modelFile, ...weightFiles]) hash.update(contents.get(f) ?? Buffer.alloc(0));
  return { model, producer: producer || 'unknown', sha256: hash.digest('hex'), warnings };
}

/** The lists collecting console.warn now: one per load in progress. */
const warningSinks = new Set<string[]>();
let consoleWarn: typeof console.warn | undefined;

/**
 * Runs `body` with console.warn's lines added to `sink` instead of printed. Loads may overlap
 * (each awaits file reads): the first one in replaces console.warn, the last one out puts it
 * back, and a line goes to every load in progress, since nothing tells whose it is. Saving
 * and restoring console.warn around each load would leave it replaced for good whenever two
 * loads end in the order they began.
 */
async function collectingWarnings<T>(sink: string[], body: () => Promise<T>): Promise<T> {
  if (warningSinks.size === 0) {
    consoleWarn = console.warn;
    console.warn = collect;
  }
  warningSinks.add(sink);
  try {
    return await body();
  } finally {
    warningSinks.delete(sink);
    if (warningSinks.size === 0) {
      // Unless someone replaced it meanwhile: theirs stays.
      if (console.warn === collect) console.warn = consoleWarn!;
      consoleWarn = undefined;
    }
  }
}

function collect(...args: unknown[]): void {
  const line = args.map(String).join(' ');
  for (const sink of warningSinks) sink.push(line);
}

/** Why tfjs refused a model, in one line; some of its errors have no message (a layer it cannot find). */
function tfjsReason(err: unknown): string {
  const message = err instanceof Error ? err.message.split('\n')[0]!.trim() : String(err ?? '').trim();
  if (message !== '') return message;
  const name = err instanceof Error ? err.name : typeof err;
  return `tfjs failed with ${name} and no message (is an input or output layer named in model.json missing from its layers?)`;
}
