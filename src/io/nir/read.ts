/**
 * Reads a NIR file (HDF5, the layout hdf5.ts writes and NIR's own writer writes) into plain
 * records, with h5wasm: the graph's nodes in file order, each with its type and its datasets
 * as numbers (float or integer arrays with their shape) or strings; edges; graph metadata.
 * What the nodes mean is import.ts's business.
 */
import { openRegularFile } from '../../util/read-file.js';
import fs from 'node:fs';
import { UserError } from '../../errors.js';

export interface NirArray {
  shape: number[];
  data: Float64Array;
}

export type NirDataset = { kind: 'array'; value: NirArray } | { kind: 'string'; value: string };

export interface NirRecord {
  type: string;
  params: Map<string, NirDataset>;
}

export interface NirGraphRecord {
  version: string;
  nodes: Map<string, NirRecord>;
  edges: [string, string][];
  metadata: Map<string, NirDataset>;
}

interface H5Entity {
  keys?: () => string[];
  get?: (name: string) => H5Entity | null;
  value?: unknown;
  shape?: number[] | null;
}

function datasetOf(entity: H5Entity, where: string): NirDataset {
  const value = entity.value;
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'number' || typeof value === 'bigint') return { kind: 'array', value: { shape: [], data: Float64Array.of(Number(value)) } };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { kind: 'string', value: value.join('') };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const data = Float64Array.from(value as unknown as ArrayLike<number | bigint>, (v) => Number(v));
    return { kind: 'array', value: { shape: [...(entity.shape ?? [data.length])], data } };
  }
  throw new UserError(`${where}: a dataset NIR does not use (neither numbers nor a string)`);
}

const isGroup = (e: H5Entity | null | undefined): e is H5Entity & { keys: () => string[]; get: (n: string) => H5Entity | null } =>
  !!e && typeof e.keys === 'function' && typeof e.get === 'function';

function readGroup(group: H5Entity, where: string): Map<string, NirDataset> {
  const out = new Map<string, NirDataset>();
  if (!isGroup(group)) return out;
  for (const key of group.keys()) {
    const entity = group.get(key);
    if (entity && !isGroup(entity)) out.set(key, datasetOf(entity, `${where}/${key}`));
  }
  return out;
}

function text(d: NirDataset | undefined): string | undefined {
  return d?.kind === 'string' ? d.value : undefined;
}

/** HDF5's signature, at offset 0 or a power of two from 512 on (the superblock's places). */
const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function isHdf5(file: string): boolean {
  // Opened without blocking and refused unless a regular file (a FIFO would wait forever).
  const { fd, size } = openRegularFile(file);
  try {
    const head = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (fs.readSync(fd, head, 0, 8, at) === 8 && head.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

export async function readNir(file: string): Promise<NirGraphRecord> {
  // Checked first: HDF5 itself reports a file it cannot open on stderr, at length.
  if (!fs.existsSync(file)) throw new UserError('no such file');
  if (!isHdf5(file)) throw new UserError('not an HDF5 file (a NIR file is HDF5)');
  const { default: h5wasm } = await import('h5wasm/node');
  await h5wasm.ready;
  const h5 = new h5wasm.File(file, 'r');
  try {
    const root = h5 as unknown as H5Entity & { get: (n: string) => H5Entity | null };
    const graph = root.get('node');
    if (!isGroup(graph)) throw new UserError("no /node group: not a NIR file");
    const top = readGroup(graph, '/node');
    if (text(top.get('type')) !== 'NIRGraph') throw new UserError(`/node/type is '${text(top.get('type')) ?? '?'}', expected NIRGraph`);
    const nodesGroup = graph.get('nodes');
    if (!isGroup(nodesGroup)) throw new UserError('no /node/nodes group: not a NIR file');
    const nodes = new Map<string, NirRecord>();
    for (const name of nodesGroup.keys()) {
      const g = nodesGroup.get(name);
      if (!isGroup(g)) continue;
      const params = readGroup(g, `/node/nodes/${name}`);
      const type = text(params.get('type'));
      if (type === undefined) throw new UserError(`node ${name}: no type`);
      params.delete('type');
      nodes.set(name, { type, params });
    }
    const edgesEntity = graph.get('edges');
    const flat = edgesEntity && !isGroup(edgesEntity) ? edgesEntity.value : [];
    const list = Array.isArray(flat) ? flat.map(String) : typeof flat === 'string' ? [flat] : [];
    if (list.length % 2 !== 0) throw new UserError('/node/edges: not a list of (source, target) pairs');
    const edges: [string, string][] = [];
    for (let i = 0; i < list.length; i += 2) edges.push([list[i]!, list[i + 1]!]);
    const metaGroup = graph.get('metadata');
    const versionEntity = root.get('version');
    const version = versionEntity && !isGroup(versionEntity) ? String(versionEntity.value) : '?';
    return { version, nodes, edges, metadata: metaGroup ? readGroup(metaGroup, '/node/metadata') : new Map() };
  } finally {
    h5.close();
  }
}
