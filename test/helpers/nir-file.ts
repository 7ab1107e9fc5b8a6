/**
 * Reads a NIR file with jsfive, a pure-JavaScript HDF5 reader that shares no code with the
 * h5wasm library snnc writes with, into plain records: what a NIR importer would see.
 */
import fs from 'node:fs';
// @ts-expect-error jsfive ships no type declarations; the few members used here are typed below.
import * as jsfive from 'jsfive';

interface H5Dataset {
  value: unknown[];
  shape: number[];
  dtype: string | unknown[];
}
interface H5Group {
  keys: string[];
  get(path: string): H5Dataset | H5Group;
}
const hdf5 = jsfive as unknown as {
  File: new (buffer: ArrayBuffer, name: string) => H5Group;
  Group: abstract new (...args: never[]) => H5Group;
};

export interface H5Value {
  /** '<f4', '<f8', '<i8', ... or 'string' for variable-length strings. */
  dtype: string;
  shape: number[];
  value: (number | string)[];
}

export interface NirFileNode {
  type: string;
  params: Map<string, H5Value>;
  metadata: Map<string, H5Value>;
}

export interface NirFile {
  version: string;
  graphType: string;
  edges: [string, string][];
  metadata: Map<string, H5Value>;
  nodes: Map<string, NirFileNode>;
}

function readValue(d: H5Dataset): H5Value {
  const dtype = Array.isArray(d.dtype) ? (d.dtype[0] === 'VLEN_STRING' ? 'string' : String(d.dtype)) : d.dtype;
  return { dtype, shape: [...d.shape], value: [...d.value] as (number | string)[] };
}

function readGroup(g: H5Group | undefined): Map<string, H5Value> {
  const out = new Map<string, H5Value>();
  for (const key of g?.keys ?? []) out.set(key, readValue(g!.get(key) as H5Dataset));
  return out;
}

const isGroup = (e: unknown): e is H5Group => e instanceof hdf5.Group;

export function readNirFile(file: string): NirFile {
  const bytes = fs.readFileSync(file);
  const root = new hdf5.File(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), file);
  const graph = root.get('node') as H5Group;
  const flat = readValue(graph.get('edges') as H5Dataset);
  const edges: [string, string][] = [];
  for (let i = 0; i < flat.value.length; i += 2) edges.push([String(flat.value[i]), String(flat.value[i + 1])]);
  const nodesGroup = graph.get('nodes') as H5Group;
  const nodes = new Map<string, NirFileNode>();
  for (const name of nodesGroup.keys) {
    const g = nodesGroup.get(name) as H5Group;
    const params = new Map<string, H5Value>();
    let metadata = new Map<string, H5Value>();
    let type = '';
    for (const key of g.keys) {
      const entry = g.get(key);
      if (key === 'metadata' && isGroup(entry)) metadata = readGroup(entry);
      else if (key === 'type') type = String((entry as H5Dataset).value[0]);
      else params.set(key, readValue(entry as H5Dataset));
    }
    nodes.set(name, { type, params, metadata });
  }
  return {
    version: String((root.get('version') as H5Dataset).value[0]),
    graphType: String((graph.get('type') as H5Dataset).value[0]),
    edges,
    metadata: graph.keys.includes('metadata') ? readGroup(graph.get('metadata') as H5Group) : new Map(),
    nodes,
  };
}
