/**
 * Reads an input file whole, within the memory budget (--max-memory): a regular file's size
 * is checked before reading; anything else (a pipe, /dev/stdin, a device such as /dev/zero)
 * is read in chunks and refused as soon as it exceeds the budget, so no input can make snnc
 * read forever or run out of memory. Every failure is a one-line user error naming the file.
 */
import fs from 'node:fs';
import { UserError } from '../errors.js';
import { checkAllocation, maxMemoryBytes } from './memory-limit.js';

const CHUNK_BYTES = 1 << 20;

function openError(file: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${file}: no such file`);
  if (code === 'EISDIR') return new UserError(`${file}: is a directory, expected a file`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${file}: permission denied`);
  if (code === 'ENOTDIR') return new UserError(`${file}: a part of the path is not a directory`);
  if (code === 'ENAMETOOLONG') return new UserError(`${file}: file name too long`);
  return new UserError(`${file}: cannot read (${code ?? (err as Error).message})`);
}

export function readFileBytes(file: string): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw openError(file, err);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new UserError(`${file}: is a directory, expected a file`);
    if (stat.isFile()) {
      checkAllocation(stat.size, `${file}: reading the file`);
      return fs.readFileSync(fd);
    }
    return readStream(file, fd);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw openError(file, err);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a pipe or device to its end, refusing it once it holds more than the budget. */
function readStream(file: string, fd: number): Uint8Array {
  const limit = maxMemoryBytes();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null);
    if (n === 0) break;
    total += n;
    if (total > limit) checkAllocation(total, `${file}: reading the stream`);
    chunks.push(chunk.subarray(0, n));
  }
  return Buffer.concat(chunks, total);
}

/** A text file (UTF-8) read whole within the budget, as readFileBytes. */
export function readTextFile(file: string): string {
  return new TextDecoder('utf-8').decode(readFileBytes(file));
}
