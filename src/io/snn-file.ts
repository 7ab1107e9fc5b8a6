/**
 * snnc's converted-network format: a JSON manifest `<name>.snn.json` and a binary file
 * `<name>.snn.bin` beside it holding every tensor as little-endian float32, back to back.
 *
 * Manifest (schemaVersion 1):
 *   format: "snnc-snn", schemaVersion: 1
 *   source: { model, sha256 }             the ANN it was converted from
 *   preprocess: { scale, mean[], std[] }  x = (pixel * scale - mean[c]) / std[c]
 *   conversion: { ... }                   the options used (percentile, tRefSteps, ...)
 *   calibration: [ { layer, lambda[], clippedFraction, activeFraction, max } ]
 *   snn: graph, ann: graph                the spiking network and its reference ANN
 *   weights: { file, bytes, sha256 }
 * A graph is { name, input: { name, shape }, output, nodes: [...] }; a node is the IR node
 * with each tensor replaced by { dims, offset, length } (offset in float32 elements).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { tensor, type Tensor } from '../ir/tensor.js';
import { verify } from '../ir/verify.js';
import type { ActivationStats } from '../runtime/activation-stats.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Preprocess } from './data/dataset.js';
import { readFileBytes } from './data/idx.js';

export const SNN_FORMAT = 'snnc-snn';
export const SNN_SCHEMA_VERSION = 1;

export interface ConversionSettings {
  /** Percentile of positive activations that sets lambda (the one chosen, with percentileAuto). */
  percentile: number;
  /** --percentile auto: the percentile was chosen by calibration accuracy at calibTimesteps. */
  percentileAuto: boolean;
  /** With percentileAuto: each candidate's SNN accuracy on the calibration images. */
  percentileSearch?: { percentile: number; accuracy: number }[];
  channelwise: boolean;
  calibSamples: number;
  calibData: string;
  reset: 'subtract' | 'zero';
  tRefSteps: number;
  vInitFraction: number;
  /** v(0) uniform in [0, threshold) per neuron and sample, seeded by the run. */
  vInitRandom: boolean;
  predistort: boolean;
  neuron: 'if' | 'lif';
  tauSteps?: number;
  readout: 'membrane' | 'spikes';
  maxpool: 'spiking' | 'avg';
  /** Light calibration after conversion (Li et al. 2021), at calibTimesteps steps. */
  calibrate: 'none' | 'bias' | 'potential';
  calibTimesteps: number;
}

export interface SnnModel {
  source: { model: string; sha256: string };
  preprocess: Preprocess;
  conversion: ConversionSettings;
  calibration: ({ layer: string } & ActivationStats)[];
  snn: Graph;
  ann: Graph;
}

interface TensorRef {
  dims: number[];
  offset: number;
  length: number;
}

const isTensor = (v: unknown): v is Tensor =>
  typeof v === 'object' && v !== null && (v as Tensor).data instanceof Float32Array && Array.isArray((v as Tensor).dims);

function packGraph(graph: Graph, chunks: Float32Array[], cursor: { offset: number }): unknown {
  const nodes = graph.nodes.map((node) =>
    Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        if (!isTensor(value)) return [key, value];
        const ref: TensorRef = { dims: [...value.dims], offset: cursor.offset, length: value.data.length };
        chunks.push(value.data);
        cursor.offset += value.data.length;
        return [key, ref];
      }),
    ),
  );
  return { name: graph.name, input: graph.input, output: graph.output, nodes };
}

export function snnFilePaths(manifest: string): { manifest: string; weights: string } {
  if (!manifest.endsWith('.snn.json')) throw new UserError(`--out ${manifest}: a converted network is saved as <name>.snn.json`);
  return { manifest, weights: manifest.replace(/\.snn\.json$/, '.snn.bin') };
}

export function saveSnn(model: SnnModel, file: string): void {
  const paths = snnFilePaths(file);
  const chunks: Float32Array[] = [];
  const cursor = { offset: 0 };
  const snn = packGraph(model.snn, chunks, cursor);
  const ann = packGraph(model.ann, chunks, cursor);
  const bin = new Uint8Array(cursor.offset * 4);
  const floats = new Float32Array(bin.buffer);
  let o = 0;
  for (const c of chunks) (floats.set(c, o), (o += c.length));
  const manifest = {
    format: SNN_FORMAT,
    schemaVersion: SNN_SCHEMA_VERSION,
    source: model.source,
    preprocess: model.preprocess,
    conversion: model.conversion,
    calibration: model.calibration,
    snn,
    ann,
    weights: { file: path.basename(paths.weights), bytes: bin.length, sha256: sha256(bin) },
  };
  // Weights first: a manifest only ever points at a complete weights file.
  writeFileAtomic(paths.weights, bin);
  writeFileAtomic(paths.manifest, JSON.stringify(manifest, null, 1) + '\n');
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function unpackGraph(raw: unknown, weights: Float32Array, what: string): Graph {
  const g = raw as Graph & { nodes: Record<string, unknown>[] };
  if (!g || typeof g !== 'object' || !Array.isArray(g.nodes) || !g.input || !Array.isArray(g.input.shape)) {
    throw new UserError(`${what}: malformed graph`);
  }
  const nodes = g.nodes.map((node) =>
    Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        const ref = value as TensorRef;
        if (typeof value !== 'object' || value === null || Array.isArray(value) || !('offset' in ref)) return [key, value];
        const end = ref.offset + ref.length;
        if (!Number.isInteger(ref.offset) || ref.offset < 0 || end > weights.length || ref.dims.reduce((a, b) => a * b, 1) !== ref.length) {
          throw new UserError(`${what}: tensor ${String(node.name)}.${key} lies outside the weights file or has inconsistent dims`);
        }
        return [key, tensor(ref.dims, weights.slice(ref.offset, end))];
      }),
    ),
  ) as unknown as Node[];
  const graph: Graph = { name: g.name, input: g.input, output: g.output, nodes };
  const problems = verify(graph);
  if (problems.length > 0) throw new UserError(`${what}: invalid graph: ${problems[0]}`);
  return graph;
}

export function loadSnn(file: string): SnnModel {
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(new TextDecoder().decode(readFileBytes(file)));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (manifest.format !== SNN_FORMAT) throw new UserError(`${file}: format is '${String(manifest.format)}', expected '${SNN_FORMAT}'`);
  if (manifest.schemaVersion !== SNN_SCHEMA_VERSION) {
    throw new UserError(`${file}: schemaVersion ${String(manifest.schemaVersion)} is not supported (expected ${SNN_SCHEMA_VERSION})`);
  }
  const w = manifest.weights as { file: string; bytes: number; sha256: string };
  if (!w || typeof w.file !== 'string' || w.file.includes('/') || w.file.includes('\\') || w.file.startsWith('..')) {
    throw new UserError(`${file}: weights.file must name a file beside the manifest`);
  }
  const binFile = path.join(path.dirname(file), w.file);
  const bin = readFileBytes(binFile);
  if (bin.length !== w.bytes || bin.length % 4 !== 0) throw new UserError(`${binFile}: ${bin.length} bytes, manifest says ${w.bytes}`);
  if (sha256(bin) !== w.sha256) throw new UserError(`${binFile}: checksum does not match the manifest (file changed or corrupt)`);
  const weights = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  return {
    source: manifest.source as SnnModel['source'],
    preprocess: manifest.preprocess as Preprocess,
    conversion: manifest.conversion as ConversionSettings,
    calibration: manifest.calibration as SnnModel['calibration'],
    snn: unpackGraph(manifest.snn, weights, `${file} (snn)`),
    ann: unpackGraph(manifest.ann, weights, `${file} (ann)`),
  };
}
