/**
 * Outputs are written to a temporary file beside the target, flushed to disk, and renamed
 * into place, so a crash, an error or an interrupt never leaves a half-written or empty file
 * and never replaces a good file with a broken one. Temporary files of writes that did not
 * finish are removed on exit and on SIGINT / SIGTERM (util/exit.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

const pending = new Set<string>();

/** Removes temporary files of writes that did not finish (called on exit and on signals). */
export function removePendingTemporaries(): void {
  for (const tmp of pending) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // Best effort: the process is exiting.
    }
  }
  pending.clear();
}

/** Temporary files not yet renamed into place (for tests). */
export function pendingTemporaries(): string[] {
  return [...pending];
}

/**
 * Checks early (before long work) that `file` can be created: its folder exists, is a folder
 * we may write into, and `file` is not itself a folder.
 */
export function checkWritable(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new UserError(`${flag} ${file}: folder ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new UserError(`${flag} ${file}: ${dir} is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${file}: folder ${dir} is not writable`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UserError(`${flag} ${file}: is a folder, expected a file name`);
}

export interface Output {
  file: string;
  data: string | Uint8Array;
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  writeFilesAtomic([{ file, data }]);
}

/**
 * Writes several files as one output (a manifest and its weights): every temporary is
 * written and flushed first, then all are renamed in one synchronous run. Node runs signal
 * handlers only between event-loop turns, so SIGINT / SIGTERM cannot fall between the
 * renames; an error while writing leaves every target as it was.
 */
export function writeFilesAtomic(outputs: readonly Output[]): void {
  const staged: { file: string; tmp: string }[] = [];
  let current = '';
  try {
    for (const o of outputs) {
      current = o.file;
      const tmp = temporaryFor(o.file);
      staged.push({ file: o.file, tmp });
      stage(o.file, tmp, o.data);
    }
    for (const s of staged) {
      current = s.file;
      fs.renameSync(s.tmp, s.file);
      pending.delete(s.tmp);
    }
  } catch (err) {
    for (const s of staged) {
      if (!pending.delete(s.tmp)) continue;
      try {
        fs.rmSync(s.tmp, { force: true });
      } catch {
        // Reported below: the write failed anyway.
      }
    }
    throw writeError(current, err);
  }
}

/** A fresh temporary name beside `file`, registered for removal until it is renamed into place. */
function temporaryFor(file: string): string {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  pending.add(tmp);
  return tmp;
}

/** Writes `data` to the new file `tmp` (with the mode of `file` if it exists) and flushes it to disk. */
function stage(file: string, tmp: string, data: string | Uint8Array): void {
  let mode = 0o666;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    // A new file: the default mode, less the umask.
  }
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const USER_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'ENOSPC', 'EROFS', 'EDQUOT', 'ENAMETOOLONG', 'EEXIST', 'EBUSY']);

function writeError(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code && USER_CODES.has(code)) return new UserError(`${file}: cannot write (${code})`);
  return err;
}
