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
import { oneLine, UserError, withContext } from '../errors.js';
import type { Graph, Node, OpName } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { shapeString, sizeOf, tensor, type Tensor } from '../ir/tensor.js';
import type { SnnModel } from '../model/snn-model.js';
import { writeFilesAtomic } from '../util/atomic-write.js';
import { defaultMaxMemoryBytes } from '../util/memory-limit.js';
import { readFileBytes } from '../util/read-file.js';
import { parseJsonText } from '../util/structured-text.js';
import { checkLoadedGraph } from './graph-checks.js';
import { checkManifest, NODE_FIELDS, TENSOR_REF } from './snn-schema.js';

export const SNN_FORMAT = 'snnc-snn';
export const SNN_SCHEMA_VERSION = 1;

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
  if (!manifest.endsWith('.snn.json')) throw new UserError(`${manifest}: a converted network is saved as <name>.snn.json`);
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
  // Both files are written in full before either replaces what was there; weights first, so a
  // manifest only ever points at a complete weights file.
  writeFilesAtomic([
    { file: paths.weights, data: bin },
    { file: paths.manifest, data: JSON.stringify(manifest, null, 1) + '\n' },
  ]);
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * Rebuilds a graph whose tensors are references into the weights file. Every reference must
 * lie inside the file with dims that match its length, and the references together may not
 * exceed the file (no tensor can be read twice to multiply memory).
 */
function unpackGraph(raw: unknown, weights: Float32Array, used: { floats: number }, what: string, maxMemoryBytes: number): Graph {
  const g = raw as Graph & { nodes: Record<string, unknown>[] };
  const nodes = g.nodes.map((node, index) =>
    Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        if (NODE_FIELDS[node.op as OpName][key] !== TENSOR_REF) return [key, value];
        const ref = value as TensorRef;
        const where = `${what}.nodes[${index}].${key}`;
        if (ref.dims.reduce((a, b) => a * b, 1) !== ref.length) {
          throw new UserError(`${where}: dims [${ref.dims.join(',')}] need ${ref.dims.reduce((a, b) => a * b, 1)} values, length says ${ref.length}`);
        }
        if (ref.offset + ref.length > weights.length) {
          throw new UserError(`${where}: values ${ref.offset}..${ref.offset + ref.length} lie outside the weights file (${weights.length} values)`);
        }
        used.floats += ref.length;
        if (used.floats > weights.length) {
          throw new UserError(`${where}: the tensors together reference ${used.floats} values, the weights file holds ${weights.length}`);
        }
        return [key, tensor(ref.dims, weights.slice(ref.offset, ref.offset + ref.length))];
      }),
    ),
  ) as unknown as Node[];
  const graph: Graph = { name: g.name, input: g.input, output: g.output, nodes };
  withContext(what, () => checkLoadedGraph(graph, maxMemoryBytes));
  return graph;
}

function parseManifest(file: string, bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${file}: not valid UTF-8 text`);
  }
  const manifest = parseJsonText(text, file);
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new UserError(`${file}: expected a JSON object, got ${Array.isArray(manifest) ? 'an array' : typeof manifest}`);
  }
  return manifest as Record<string, unknown>;
}

/** The weights file a manifest names: a plain file name beside the manifest, nothing else. */
function weightsPath(file: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0:]/.test(name)) {
    throw new UserError(`${file}: weights.file '${name}' must be a plain file name beside the manifest (no folders, no '..')`);
  }
  return path.join(path.dirname(file), name);
}

/** Reads a converted network within `maxMemoryBytes` (the run's --max-memory). */
export function loadSnn(file: string, maxMemoryBytes = defaultMaxMemoryBytes()): SnnModel {
  const manifest = parseManifest(file, readFileBytes(file, maxMemoryBytes));
  checkManifest(manifest, file);
  const m = manifest as unknown as SnnModel & { weights: { file: string; bytes: number; sha256: string } };
  const binFile = weightsPath(file, m.weights.file);
  const bin = readFileBytes(binFile, maxMemoryBytes);
  if (bin.length !== m.weights.bytes) throw new UserError(`${binFile}: ${bin.length} bytes, manifest says ${m.weights.bytes}`);
  if (bin.length % 4 !== 0) throw new UserError(`${binFile}: ${bin.length} bytes is not a whole number of float32 values`);
  if (sha256(bin) !== m.weights.sha256) throw new UserError(`${binFile}: checksum does not match the manifest (file changed or corrupt)`);
  const weights = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const used = { floats: 0 };
  const model: SnnModel = {
    source: m.source,
    preprocess: m.preprocess,
    conversion: m.conversion,
    calibration: m.calibration,
    snn: unpackGraph(m.snn, weights, used, `${file}: snn`, maxMemoryBytes),
    ann: unpackGraph(m.ann, weights, used, `${file}: ann`, maxMemoryBytes),
  };
  checkPair(model, file);
  return model;
}

/** The spiking network and its reference ANN must be what the runtimes expect, and fit each other. */
function checkPair(model: SnnModel, file: string): void {
  const relu = model.snn.nodes.find((n) => n.op === 'relu');
  if (relu) throw new UserError(`${file}: snn node ${oneLine(relu.name, 80)} is a ReLU; a converted network has spiking layers instead`);
  const spike = model.ann.nodes.find((n) => n.op === 'spike');
  if (spike) throw new UserError(`${file}: ann node ${oneLine(spike.name, 80)} is a spiking layer; the reference ANN has none`);
  const [snnIn, annIn] = [model.snn.input.shape, model.ann.input.shape];
  if (shapeString(snnIn) !== shapeString(annIn)) {
    throw new UserError(`${file}: snn input ${shapeString(snnIn)} differs from ann input ${shapeString(annIn)}`);
  }
  const snnOut = inferShapes(model.snn).get(model.snn.output)!;
  const annOut = inferShapes(model.ann).get(model.ann.output)!;
  if (sizeOf(snnOut) !== sizeOf(annOut)) {
    throw new UserError(`${file}: snn output ${shapeString(snnOut)} and ann output ${shapeString(annOut)} differ in size`);
  }
  for (const what of ['mean', 'std'] as const) {
    const n = model.preprocess[what].length;
    if (n !== 1 && n !== snnIn[0]) throw new UserError(`${file}: preprocess.${what} has ${n} values for ${snnIn[0]} input channels`);
  }
  if (model.preprocess.std.some((v) => v === 0)) throw new UserError(`${file}: preprocess.std has a zero`);
  const shapes = inferShapes(model.snn);
  for (const node of model.snn.nodes) {
    if (node.op !== 'spike') continue;
    const channels = shapes.get(node.output)![0]!;
    for (const [key, values] of [['lambda', node.lambda], ['vInitShift', node.vInitShift]] as const) {
      if (values && values.length !== 1 && values.length !== channels) {
        throw new UserError(`${file}: snn node ${oneLine(node.name, 80)} (spike): ${key} has ${values.length} values for ${channels} channels`);
      }
    }
  }
}
