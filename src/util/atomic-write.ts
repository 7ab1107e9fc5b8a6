/**
 * Writing outputs. What a target is decides how it is written:
 *   missing or a regular file   to a temporary file beside it, flushed, then renamed into place,
 *                               so a crash, an error or an interrupt never leaves a half-written
 *                               file and never replaces a good file with a broken one; an
 *                               existing file keeps its mode, and one we may not write (mode
 *                               444 for a user who does not own it... as the shell would say)
 *                               is refused, not replaced
 *   a symbolic link             followed: the file it points to is replaced as above and the link
 *                               stays a link (a link to nothing is refused)
 *   a character device, a FIFO  written directly (`--json /dev/stdout` prints, `/dev/full`
 *   or a socket                 reports a full disk, a FIFO feeds its reader); never renamed over
 *   a folder                    refused
 * Temporary names are short (`.<first 24 characters>.<random>.tmp`), so any legal target name
 * works, and are removed on exit and on signals (util/exit.ts); a watcher (cli/child.ts) hears
 * of each one so that the supervisor can remove it if it has to kill the process.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

const pending = new Set<string>();
type Watcher = (event: 'open' | 'close', tmp: string) => void;
let watcher: Watcher | null = null;

/** Reports every temporary file before it is created and once it is gone (cli/child.ts). */
export function watchTemporaries(w: Watcher | null): void {
  watcher = w;
}

function forget(tmp: string): boolean {
  const had = pending.delete(tmp);
  if (had) watcher?.('close', tmp);
  return had;
}

/** Removes temporary files of writes that did not finish (called on exit and on signals). */
export function removePendingTemporaries(): void {
  for (const tmp of [...pending]) {
    try {
      fs.rmSync(tmp, { force: true, recursive: true });
    } catch {
      // Best effort: the process is exiting.
    }
    forget(tmp);
  }
}

/** Temporary files not yet renamed into place (for tests). */
export function pendingTemporaries(): string[] {
  return [...pending];
}

/** The longest file name (bytes) of the file systems snnc writes to (ext4, xfs, btrfs, tmpfs, APFS). */
export const MAX_NAME_BYTES = 255;

type Target = { kind: 'new' | 'file'; path: string } | { kind: 'special'; path: string };

/**
 * What writing `file` means (see the file comment); throws a user error naming `flag` (or
 * the file) when it cannot be written.
 */
function classify(file: string, flag: string): Target {
  const name = flag ? `${flag} ${file}` : file;
  const base = path.basename(file);
  if (Buffer.byteLength(base) > MAX_NAME_BYTES) throw new UserError(`${name}: file name too long (${Buffer.byteLength(base)} bytes, at most ${MAX_NAME_BYTES})`);
  let lst: fs.Stats | null = null;
  try {
    lst = fs.lstatSync(file);
  } catch {
    // Missing (or its folder is): checked below.
  }
  let real = path.resolve(file);
  if (lst?.isSymbolicLink()) {
    try {
      lst = fs.statSync(file);
    } catch {
      throw new UserError(`${name}: is a symbolic link to a missing file`);
    }
    // /dev/stdout links to /proc/self/fd/1, whose target may be no path at all ("pipe:[...]").
    if (lst.isFile()) real = fs.realpathSync(file);
  }
  if (lst?.isDirectory()) throw new UserError(`${name}: is a folder, expected a file name`);
  if (lst && !lst.isFile()) {
    try {
      fs.accessSync(real, fs.constants.W_OK);
    } catch {
      throw new UserError(`${name}: permission denied`);
    }
    return { kind: 'special', path: file };
  }
  const dir = path.dirname(real);
  let dirStat: fs.Stats;
  try {
    dirStat = fs.statSync(dir);
  } catch {
    throw new UserError(`${name}: folder ${dir} does not exist`);
  }
  if (!dirStat.isDirectory()) throw new UserError(`${name}: ${dir} is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`${name}: folder ${dir} is not writable`);
  }
  if (lst) {
    try {
      fs.accessSync(real, fs.constants.W_OK);
    } catch {
      throw new UserError(`${name}: is read-only (permission denied)`);
    }
  }
  return { kind: lst ? 'file' : 'new', path: real };
}

/**
 * Checks early (before long work) that `file` can be written as an output: its folder exists
 * and is writable, its name is not too long, it is not a folder, not a read-only file, not a
 * link to nothing.
 */
export function checkWritable(file: string, flag: string): void {
  classify(file, flag);
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
 * written and flushed first, then all are renamed in one synchronous run (so no signal
 * handler runs between the renames); an error while writing leaves every target as it was.
 * Special files (devices, FIFOs) are written last, directly.
 */
export function writeFilesAtomic(outputs: readonly Output[]): void {
  const targets = outputs.map((o) => ({ ...o, target: withWriteError(o.file, () => classify(o.file, '')) }));
  const staged: { file: string; real: string; tmp: string }[] = [];
  let current = '';
  try {
    for (const o of targets) {
      if (o.target.kind === 'special') continue;
      current = o.file;
      const tmp = temporaryFor(o.target.path);
      staged.push({ file: o.file, real: o.target.path, tmp });
      stage(o.target.path, tmp, o.data);
    }
    for (const s of staged) {
      current = s.file;
      fs.renameSync(s.tmp, s.real);
      forget(s.tmp);
    }
  } catch (err) {
    for (const s of staged) {
      if (!forget(s.tmp)) continue;
      try {
        fs.rmSync(s.tmp, { force: true });
      } catch {
        // Reported below: the write failed anyway.
      }
    }
    throw writeError(current, err);
  }
  for (const o of targets) if (o.target.kind === 'special') withWriteError(o.file, () => writeDirect(o.target.path, o.data));
}

/** The standard stream a path names (/dev/stdout, /dev/fd/1, /proc/self/fd/2, ...), if any. */
function standardStream(file: string): number | null {
  if (file === '/dev/stdout') return 1;
  if (file === '/dev/stderr') return 2;
  const m = /^\/(?:dev\/fd|proc\/self\/fd)\/([12])$/.exec(file);
  return m ? Number(m[1]) : null;
}

/**
 * Writes to a device or FIFO as `cat > file` would: no temporary, no rename. Our own stdout or
 * stderr is written through its descriptor (opening /dev/stdout fails when it is a socket).
 */
function writeDirect(file: string, data: string | Uint8Array): void {
  const std = standardStream(file);
  const fd = std ?? fs.openSync(file, fs.constants.O_WRONLY);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    if (std === null) fs.closeSync(fd);
  }
}

/** Writes every byte, waiting out EAGAIN on a non-blocking pipe. */
function writeAll(fd: number, bytes: Uint8Array): void {
  const wait = new Int32Array(new SharedArrayBuffer(4));
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(wait, 0, 0, 5);
    }
  }
}

/** A fresh, short temporary name beside `file`, registered for removal until it is renamed into place. */
function temporaryFor(file: string): string {
  const head = path.basename(file).slice(0, 24);
  const tmp = path.join(path.dirname(file), `.${head}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  watcher?.('open', tmp);
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
  const fd = fs.openSync(tmp, 'wx', mode | 0o200);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    // The owner-write bit was added so that we can write the temporary; put the mode back.
    if ((mode & 0o200) === 0) fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

function withWriteError<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw writeError(file, err);
  }
}

const USER_CODES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  ENOSPC: 'disk full',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'file name too long',
  EEXIST: 'exists',
  EBUSY: 'busy',
  ENXIO: 'no reader on the other end',
  EPIPE: 'the reader went away',
  EFBIG: 'file too large',
  EIO: 'input/output error',
};

function writeError(file: string, err: unknown): unknown {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && Object.hasOwn(USER_CODES, code)) return new UserError(`${file}: cannot write (${code}: ${USER_CODES[code]})`);
  return err;
}

/**
 * Replaces the folder `dir` as a whole with one holding exactly `files` (name -> data): the
 * new folder is written beside it under a temporary name and flushed, then the old one (if
 * any) is moved aside, the new one renamed into place and the old one removed. An error or a
 * signal before the swap leaves `dir` as it was; the swap is two renames in one synchronous
 * run. `dir` must hold nothing but files named in `replaceable` (checked by checkFolderOutput).
 */
export function replaceFolderAtomic(dir: string, files: readonly { name: string; data: string | Uint8Array }[], replaceable: readonly string[]): void {
  const real = realFolder(dir);
  checkFolderContents(real, dir, replaceable);
  const parent = path.dirname(real);
  const staging = temporaryFor(real);
  try {
    fs.mkdirSync(staging);
    for (const f of files) {
      const fd = fs.openSync(path.join(staging, f.name), 'wx', 0o666);
      try {
        fs.writeFileSync(fd, f.data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    let old: string | null = null;
    if (fs.existsSync(real)) {
      fs.chmodSync(staging, fs.statSync(real).mode & 0o7777);
      old = temporaryFor(real);
      fs.renameSync(real, old);
    }
    try {
      fs.renameSync(staging, real);
    } catch (err) {
      if (old) fs.renameSync(old, real);
      throw err;
    }
    forget(staging);
    if (old) {
      fs.rmSync(old, { recursive: true, force: true });
      forget(old);
    }
  } catch (err) {
    for (const tmp of [...pending]) {
      if (!tmp.startsWith(path.join(parent, '.'))) continue;
      try {
        fs.rmSync(tmp, { recursive: true, force: true });
      } catch {
        // Reported below: the write failed anyway.
      }
      forget(tmp);
    }
    throw writeError(dir, err);
  }
}

/** The real path of an output folder (a link to a folder is followed), or of where it will be created. */
function realFolder(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

function checkFolderContents(real: string, dir: string, replaceable: readonly string[]): void {
  let names: string[];
  try {
    names = fs.readdirSync(real);
  } catch {
    return;
  }
  const foreign = names.filter((n) => !replaceable.includes(n));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).map((n) => `'${n}'`).join(', ') + (foreign.length > 3 ? ', ...' : '');
    throw new UserError(`--out ${dir}: holds ${shown}, which an output folder does not; it is replaced as a whole, so give a new or empty folder`);
  }
}

/**
 * Checks early that `dir` can become an output folder replaced as a whole: a folder (or
 * missing, with a writable parent) holding only files named in `replaceable`.
 */
export function checkFolderOutput(dir: string, replaceable: readonly string[]): void {
  const real = realFolder(dir);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(real);
  } catch {
    // Created by the write.
  }
  if (st && !st.isDirectory()) throw new UserError(`--out ${dir}: is not a folder`);
  const parent = path.dirname(real);
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) throw new UserError(`--out ${dir}: folder ${parent} does not exist`);
  try {
    fs.accessSync(parent, fs.constants.W_OK);
  } catch {
    throw new UserError(`--out ${dir}: folder ${parent} is not writable`);
  }
  if (st) checkFolderContents(real, dir, replaceable);
}
