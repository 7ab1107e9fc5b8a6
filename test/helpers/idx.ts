/** Writes IDX files (the MNIST format) for tests: header, big-endian sizes, unsigned bytes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export function tempDir(prefix = 'snnc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes images [n, ...shape] and labels [n]; returns the `idx:` dataset spec. */
export function writeIdxDataset(dir: string, name: string, imageDims: number[], pixels: Uint8Array, labels: Uint8Array, gzip = false): string {
  const images = path.join(dir, `${name}-images.idx${gzip ? '.gz' : ''}`);
  const labelFile = path.join(dir, `${name}-labels.idx${gzip ? '.gz' : ''}`);
  const pack = (b: Uint8Array) => (gzip ? zlib.gzipSync(b) : b);
  fs.writeFileSync(images, pack(idxBytes(imageDims, pixels)));
  fs.writeFileSync(labelFile, pack(idxBytes([labels.length], labels)));
  return `idx:${images},${labelFile}`;
}
