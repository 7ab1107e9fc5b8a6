/**
 * Reads any model snnc takes: an ONNX file (.onnx), a TF.js layers model (its model.json, or
 * the folder holding it) or a converted network (.snn.json). ANNs leave here as the IR graphs
 * their importer built, checked, with the importer's log; convert/load-model.ts then runs the
 * import pipeline on them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError, withContextAsync } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import type { Preprocess } from '../model/dataset.js';
import type { SnnModel } from '../model/snn-model.js';
import { defaultMaxMemoryBytes } from '../util/memory-limit.js';
import { readFileBytes } from '../util/read-file.js';
import { checkLoadedGraph } from './graph-checks.js';
import { assertValid } from '../ir/verify.js';
import { loadSnn, sha256 } from './snn-file.js';

// Each importer (ONNX: its protobuf schema; TF.js; NIR: HDF5) is loaded when a file of its
// format is read: every CLI command imports this file, and most read one format at most.

export interface LoadedAnn {
  kind: 'ann';
  file: string;
  format: 'onnx' | 'tfjs';
  graph: Graph;
  /** What loading did: folds, removals, layout changes, one line each. */
  log: string[];
  sha256: string;
  /** Input preprocessing declared by the file (ONNX metadata), under the flags. */
  preprocess?: Partial<Preprocess>;
}

export interface LoadedSnn {
  kind: 'snn';
  file: string;
  model: SnnModel;
  /** What loading did (NIR imports), one line each. */
  log?: string[];
}

export type LoadedModel = LoadedAnn | LoadedSnn;

type Format = 'onnx' | 'tfjs' | 'snn' | 'nir';

/** A file that holds a spiking network already, by its name (conversion options do not apply to it). */
export function holdsSpikingNetwork(file: string): boolean {
  return file.endsWith('.snn.json') || path.extname(file).toLowerCase() === '.nir';
}

function formatOf(file: string): { format: Format; path: string } {
  if (file.endsWith('.snn.json')) return { format: 'snn', path: file };
  if (path.extname(file).toLowerCase() === '.nir') return { format: 'nir', path: file };
  if (path.extname(file).toLowerCase() === '.onnx') return { format: 'onnx', path: file };
  if (path.extname(file).toLowerCase() === '.json') return { format: 'tfjs', path: file };
  if (fs.existsSync(file) && fs.statSync(file).isDirectory() && fs.existsSync(path.join(file, 'model.json'))) {
    return { format: 'tfjs', path: path.join(file, 'model.json') };
  }
  throw new UserError('unknown model format: expected an ONNX file (.onnx), a TF.js model.json (or its folder), a converted network (.snn.json) or a NIR graph (.nir)');
}

/** Imports an ANN in its own format. */
async function importAnn(
  format: 'onnx' | 'tfjs',
  file: string,
  maxMemoryBytes: number,
): Promise<{ graph: Graph; log: string[]; sha256: string; preprocess?: Partial<Preprocess> }> {
  if (format === 'onnx') {
    const bytes = readFileBytes(file, maxMemoryBytes);
    const { importOnnx } = await import('./onnx/import.js');
    const r = importOnnx(bytes, { maxMemoryBytes });
    const declared = r.preprocess
      ? [`input preprocessing from the file's metadata: ${Object.entries(r.preprocess).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : v}`).join(', ')}`]
      : [];
    return {
      graph: r.graph,
      log: [`ONNX opset ${r.opset}, produced by ${r.producer}`, ...declared, ...r.log],
      sha256: sha256(bytes),
      ...(r.preprocess ? { preprocess: r.preprocess } : {}),
    };
  }
  const { importTfjs } = await import('./tfjs/import.js');
  const r = await importTfjs(file, maxMemoryBytes);
  return { graph: r.graph, log: [`TF.js layers model, produced by ${r.producer}`, ...r.log], sha256: r.sha256 };
}

/**
 * The model in `file` as its importer built it; the graph a file describes must be valid and
 * fit --max-memory whatever the format. Errors are prefixed with the file name.
 */
export async function readModel(file: string, options: { maxMemoryBytes?: number } = {}): Promise<LoadedModel> {
  const maxMemoryBytes = options.maxMemoryBytes ?? defaultMaxMemoryBytes();
  return withContextAsync(file, async () => {
    const { format, path: target } = formatOf(file);
    if (format === 'snn') return { kind: 'snn', file, model: loadSnn(target, maxMemoryBytes) };
    if (format === 'nir') return loadNirModel(file, maxMemoryBytes);
    const imported = await importAnn(format, target, maxMemoryBytes);
    checkLoadedGraph(imported.graph, maxMemoryBytes);
    return {
      kind: 'ann',
      file,
      format,
      graph: imported.graph,
      log: imported.log,
      sha256: imported.sha256,
      ...(imported.preprocess ? { preprocess: imported.preprocess } : {}),
    };
  });
}

/**
 * A NIR graph (another framework's, or snnc's export) as a converted network: its spiking
 * graph as it is, the rate model beside it as the reference, settings saying what it is.
 */
async function loadNirModel(file: string, maxMemoryBytes: number): Promise<LoadedSnn> {
  if (!fs.existsSync(file)) throw new UserError('no such file');
  const [{ importNir }, { readNir }] = await Promise.all([import('./nir/import.js'), import('./nir/read.js')]);
  const imported = importNir(await readNir(file));
  checkLoadedGraph(imported.snn, maxMemoryBytes);
  assertValid(imported.snn, 'the NIR import');
  const first = imported.snn.nodes.find((n) => n.op === 'spike');
  const model: SnnModel = {
    source: { model: file, sha256: sha256(readFileBytes(file, maxMemoryBytes)) },
    preprocess: imported.preprocess,
    conversion: {
      target: 'nir',
      percentile: 100,
      percentileAuto: false,
      channelwise: false,
      calibSamples: 0,
      calibData: 'imported from NIR',
      reset: 'zero',
      tRefSteps: 0,
      vInitFraction: 0,
      vInitRandom: false,
      predistort: false,
      neuron: imported.neuron,
      ...(first?.op === 'spike' && first.neuron.tauSteps !== undefined ? { tauSteps: first.neuron.tauSteps } : {}),
      readout: 'membrane',
      maxpool: 'avg',
      calibrate: 'none',
      calibTimesteps: 32,
    },
    calibration: [],
    snn: imported.snn,
    ann: imported.ann,
  };
  return { kind: 'snn', file, model, log: [...imported.log, 'reference ANN: every spiking layer as ReLU(z / (v_threshold - v_reset)) clipped at 1 spike per step (the rate model)'] };
}
