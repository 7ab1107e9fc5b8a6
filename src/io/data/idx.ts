/**
 * IDX files (the MNIST format): magic 0x0000, a type byte (0x08 = unsigned byte), a rank
 * byte, then `rank` big-endian uint32 sizes and the data. Gzipped files (.gz, or any file
 * starting with the gzip magic 1f 8b) are inflated first.
 *
 * Sizes in the header are checked against the file length before anything is allocated.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { UserError } from '../../errors.js';

export interface IdxArray {
  dims: number[];
  /** Offset of the first data byte inside `bytes`. */
  offset: number;
  bytes: Uint8Array;
}

const UBYTE = 0x08;
/** Refuse gzip members that inflate beyond this (a decompression bomb guard). */
const MAX_INFLATED_BYTES = 2 ** 31 - 1;

export function readFileBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file}: no such file`);
    if (code === 'EISDIR') throw new UserError(`${file}: is a directory, expected a file`);
    if (code === 'EACCES') throw new UserError(`${file}: permission denied`);
    throw new UserError(`${file}: cannot read (${code ?? (err as Error).message})`);
  }
}

function inflate(file: string, bytes: Uint8Array): Uint8Array {
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    throw new UserError(`${file}: corrupt gzip data (${(err as Error).message})`);
  }
}

export function parseIdx(file: string, raw: Uint8Array): IdxArray {
  const bytes = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? inflate(file, raw) : raw;
  if (bytes.length < 4) throw new UserError(`${file}: too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(`${file}: bad IDX magic ${hex(bytes[0]!)} ${hex(bytes[1]!)}, expected 00 00`);
  }
  if (bytes[2] !== UBYTE) throw new UserError(`${file}: IDX data type ${hex(bytes[2]!)} is not supported, expected 08 (unsigned byte)`);
  const rank = bytes[3]!;
  if (rank < 1 || rank > 4) throw new UserError(`${file}: IDX rank ${rank}, expected 1 to 4`);
  const offset = 4 + 4 * rank;
  if (bytes.length < offset) throw new UserError(`${file}: truncated IDX header (${bytes.length} bytes, header needs ${offset})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== count) {
    throw new UserError(
      `${file}: IDX header declares [${dims.join(',')}] = ${count} bytes of data, the file holds ${bytes.length - offset}`,
    );
  }
  return { dims, offset, bytes };
}

export function readIdx(file: string): IdxArray {
  return parseIdx(file, readFileBytes(file));
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
