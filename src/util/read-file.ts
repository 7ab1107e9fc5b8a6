/**
 * Reads an input file whole, within the memory budget (--max-memory). Inputs must be regular
 * files: the file is opened without blocking (O_NONBLOCK: opening a FIFO with no writer would
 * otherwise wait forever) and anything that is not a regular file (a FIFO, a socket, a device
 * such as /dev/zero, a folder) is refused before a byte is read; a regular file's size is
 * checked against the budget before it is read. Every failure is a one-line user error naming
 * the file.
 */
import fs from 'node:fs';
import { UserError } from '../errors.js';
import { checkAllocation, defaultMaxMemoryBytes } from './memory-limit.js';

function openError(file: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${file}: no such file`);
  if (code === 'EISDIR') return new UserError(`${file}: is a directory, expected a file`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${file}: permission denied`);
  if (code === 'ENOTDIR') return new UserError(`${file}: a part of the path is not a directory`);
  if (code === 'ENAMETOOLONG') return new UserError(`${file}: file name too long`);
  return new UserError(`${file}: cannot read (${code ?? (err as Error).message})`);
}

/** The kind of a file that is not a regular file, for the message that refuses it. */
export function fileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Opens `file` for reading without ever blocking, and refuses it unless it is a regular file. */
export function openRegularFile(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw openError(file, err);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UserError(`${file}: is ${fileKind(stat)}, expected a regular file`);
    return { fd, size: stat.size };
  } catch (err) {
    fs.closeSync(fd);
    if (err instanceof UserError) throw err;
    throw openError(file, err);
  }
}

/** Reads a regular file whole, within `budgetBytes` (default: --max-memory). */
export function readFileBytes(file: string, budgetBytes = defaultMaxMemoryBytes()): Uint8Array {
  const { fd, size } = openRegularFile(file);
  try {
    checkAllocation(size, `${file}: reading the file`, budgetBytes);
    const bytes = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, bytes, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    // A file that shrank while read is read as it now is.
    return done === size ? bytes : bytes.subarray(0, done);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw openError(file, err);
  } finally {
    fs.closeSync(fd);
  }
}

/** A text file (UTF-8) read whole within the budget, as readFileBytes. */
export function readTextFile(file: string, budgetBytes = defaultMaxMemoryBytes()): string {
  return new TextDecoder('utf-8').decode(readFileBytes(file, budgetBytes));
}
