/**
 * Outputs are written to a temporary file beside the target and renamed into place, so a
 * crash, an error or an interrupt never leaves a half-written file and never replaces a good
 * file with a broken one. Temporary files still open are removed on exit.
 */
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

/** Checks early (before long work) that `file` can be created: its folder exists and is a folder. */
export function checkWritable(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new UserError(`${flag} ${file}: folder ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new UserError(`${flag} ${file}: ${dir} is not a folder`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UserError(`${flag} ${file}: is a folder, expected a file name`);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  pending.add(tmp);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENOSPC' || code === 'EROFS') {
      throw new UserError(`${file}: cannot write (${code})`);
    }
    throw err;
  } finally {
    pending.delete(tmp);
  }
}
