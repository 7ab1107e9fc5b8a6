/**
 * IDX files (the MNIST format): magic 0x0000, a type byte (0x08 = unsigned byte), a rank
 * byte, then `rank` big-endian uint32 sizes and the data. Gzipped files (.gz, or any file
 * starting with the gzip magic 1f 8b) are inflated first.
 *
 * Sizes in the header are checked before anything is allocated: against the file length, and
 * against --max-memory. A gzipped file is inflated in two steps: just enough to read the
 * header, then at most the size that header declares, so a decompression bomb stops there.
 */
import zlib from 'node:zlib';
import { UserError } from '../../errors.js';
import { checkAllocation, defaultMaxMemoryBytes, formatBytes } from '../../util/memory-limit.js';
import { readFileBytes } from '../../util/read-file.js';

// Kept here as well: loaders imported it from this module before util/read-file.ts existed.
export { readFileBytes };

export interface IdxArray {
  dims: number[];
  /** Offset of the first data byte inside `bytes`. */
  offset: number;
  bytes: Uint8Array;
}

interface IdxHeader {
  dims: number[];
  /** Header length in bytes: where the data starts. */
  offset: number;
  /** Data bytes the header declares (the product of dims; may exceed 2^53 in a corrupt file). */
  count: number;
}

const UBYTE = 0x08;
const MAX_RANK = 4;
const MAX_HEADER_BYTES = 4 + 4 * MAX_RANK;
/** Output cap of one probe while looking for the header inside a gzip stream. */
const PROBE_OUTPUT_BYTES = 1 << 20;

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function parseHeader(file: string, bytes: Uint8Array): IdxHeader {
  if (bytes.length < 4) throw new UserError(`${file}: too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(`${file}: bad IDX magic ${hex(bytes[0]!)} ${hex(bytes[1]!)}, expected 00 00`);
  }
  if (bytes[2] !== UBYTE) throw new UserError(`${file}: IDX data type ${hex(bytes[2]!)} is not supported, expected 08 (unsigned byte)`);
  const rank = bytes[3]!;
  if (rank < 1 || rank > MAX_RANK) throw new UserError(`${file}: IDX rank ${rank}, expected 1 to ${MAX_RANK}`);
  const offset = 4 + 4 * rank;
  if (bytes.length < offset) throw new UserError(`${file}: truncated IDX header (${bytes.length} bytes, header needs ${offset})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { dims, offset, count: dims.reduce((a, b) => a * b, 1) };
}

function gzipError(file: string, err: unknown): UserError {
  return new UserError(`${file}: corrupt gzip data (${(err as Error).message})`);
}

/** Inflates a prefix of `raw` with a capped output; null when the cap is exceeded. */
function probe(file: string, raw: Uint8Array, length: number): Uint8Array | null {
  try {
    return zlib.gunzipSync(raw.subarray(0, length), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: PROBE_OUTPUT_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw gzipError(file, err);
  }
}

/** Inflates a short stream whole, so that a truncated or corrupt one is reported as such. */
function strictInflate(file: string, raw: Uint8Array): Uint8Array {
  try {
    return zlib.gunzipSync(raw, { maxOutputLength: PROBE_OUTPUT_BYTES });
  } catch (err) {
    throw gzipError(file, err);
  }
}

/**
 * At least the first `want` inflated bytes of a gzip stream (or all of it if shorter), from
 * the shortest prefix that yields them: growing prefixes, then bisection when a prefix
 * inflates past the probe cap. Inflated output grows with the prefix, so this is exact.
 */
function inflatedHead(file: string, raw: Uint8Array, want: number): Uint8Array {
  let short = 0; // a prefix length known to yield fewer than `want` bytes
  let over = -1; // a prefix length known to exceed the probe cap
  for (let n = Math.min(256, raw.length); ; n = Math.min(raw.length, n * 4)) {
    const out = probe(file, raw, n);
    if (out === null) {
      over = n;
      break;
    }
    if (out.length >= want) return out;
    if (n === raw.length) return strictInflate(file, raw);
    short = n;
  }
  while (over - short > 1) {
    const mid = Math.floor((short + over) / 2);
    const out = probe(file, raw, mid);
    if (out === null) over = mid;
    else if (out.length < want) short = mid;
    else return out;
  }
  // One more input byte cannot inflate from under `want` bytes to over the cap.
  throw new UserError(`${file}: corrupt gzip data (inflation jumps past ${formatBytes(PROBE_OUTPUT_BYTES)} in one byte)`);
}

function inflate(file: string, raw: Uint8Array, maxMemoryBytes: number): Uint8Array {
  const header = parseHeader(file, inflatedHead(file, raw, MAX_HEADER_BYTES));
  const total = header.offset + header.count;
  checkAllocation(total, `${file}: IDX header declares [${header.dims.join(',')}], which`, maxMemoryBytes);
  try {
    return zlib.gunzipSync(raw, { maxOutputLength: Math.max(1, total) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserError(`${file}: inflates to more than the ${total} bytes its IDX header [${header.dims.join(',')}] declares`);
    }
    throw gzipError(file, err);
  }
}

export function parseIdx(file: string, raw: Uint8Array, maxMemoryBytes = defaultMaxMemoryBytes()): IdxArray {
  const bytes = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? inflate(file, raw, maxMemoryBytes) : raw;
  const { dims, offset, count } = parseHeader(file, bytes);
  if (bytes.length - offset !== count) {
    throw new UserError(
      `${file}: IDX header declares [${dims.join(',')}] = ${count} bytes of data, the file holds ${bytes.length - offset}`,
    );
  }
  return { dims, offset, bytes };
}

export function readIdx(file: string, maxMemoryBytes = defaultMaxMemoryBytes()): IdxArray {
  return parseIdx(file, readFileBytes(file, maxMemoryBytes), maxMemoryBytes);
}
