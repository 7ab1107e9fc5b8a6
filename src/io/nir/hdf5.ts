/**
 * Writes a NirDocument as NIR's HDF5 file, with h5wasm (HDF5 compiled to WebAssembly):
 *
 *   /version                      string
 *   /node/type                    "NIRGraph"
 *   /node/edges                   [N, 2] strings (source, target)
 *   /node/metadata/<key>          graph metadata
 *   /node/nodes/<name>/type       e.g. "Conv2d", "IF"
 *   /node/nodes/<name>/<param>    one dataset per parameter
 *   /node/nodes/<name>/metadata/  optional, one dataset per key
 *
 * The file format is capped at HDF5 1.10 (libver v110) so that the HDF5 1.10 libraries still
 * in use (e.g. Debian 12's h5py) read it. Float arrays of 1024 values or more are gzipped, as
 * NIR's own writer does. h5wasm writes to a path: the file is built in a private temporary
 * folder and then written to `file` atomically (src/util/atomic-write.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { File as H5File, Group } from 'h5wasm/node';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { NirDocument, NirValue } from './document.js';

const GZIP_FROM_VALUES = 1024;

function writeValue(group: Group, name: string, v: NirValue): void {
  switch (v.dtype) {
    case 'string':
      group.create_dataset({ name, data: v.value });
      return;
    case 'float32': {
      const zip = v.data.length >= GZIP_FROM_VALUES && v.dims.length > 0;
      group.create_dataset({ name, data: v.data, shape: v.dims, ...(zip ? { compression: 'gzip', chunks: v.dims } : {}) });
      return;
    }
    case 'float64':
      group.create_dataset({ name, data: Float64Array.from(v.data), shape: v.dims });
      return;
    case 'int64':
      group.create_dataset({ name, data: BigInt64Array.from(v.data, (x) => BigInt(x)), shape: v.dims });
      return;
  }
}

function writeMetadata(group: Group, metadata: Record<string, NirValue>): void {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return;
  const m = group.create_group('metadata');
  for (const [key, value] of entries) writeValue(m, key, value);
}

function writeDocument(file: H5File, doc: NirDocument): void {
  file.create_dataset({ name: 'version', data: doc.version });
  const graph = file.create_group('node');
  graph.create_dataset({ name: 'type', data: 'NIRGraph' });
  graph.create_dataset({ name: 'edges', data: doc.edges.flat(), shape: [doc.edges.length, 2] });
  writeMetadata(graph, doc.metadata);
  const nodes = graph.create_group('nodes');
  for (const [name, node] of doc.nodes) {
    const g = nodes.create_group(name);
    g.create_dataset({ name: 'type', data: node.type });
    for (const [key, value] of Object.entries(node.params)) writeValue(g, key, value);
    writeMetadata(g, node.metadata);
  }
}

export async function writeNirFile(doc: NirDocument, file: string): Promise<void> {
  // Loaded on first use, like vega (report/svg.ts): the WebAssembly module is slow to import.
  const { default: h5wasm } = await import('h5wasm/node');
  await h5wasm.ready;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snnc-nir-'));
  try {
    const tmp = path.join(dir, 'graph.nir');
    const h5 = new h5wasm.File(tmp, 'w', { libver: ['earliest', 'v110'] });
    try {
      writeDocument(h5, doc);
    } finally {
      h5.close();
    }
    writeFileAtomic(file, fs.readFileSync(tmp));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
