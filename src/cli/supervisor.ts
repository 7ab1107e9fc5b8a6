/**
 * Why snnc runs as two processes: Node.js runs signal handlers on the event loop, and a
 * synchronous loop or a blocking system call keeps the loop from turning, so a process that
 * only handled signals itself could ignore SIGTERM / SIGINT for as long as such work lasts.
 * bin/snnc therefore starts this supervisor, which does nothing but wait: it runs the command
 * in a child process (child.ts) with the same stdin / stdout / stderr, and on a signal:
 *   1. passes the signal on; the child's own handlers (util/exit.ts) remove its temporary
 *      files, print one line and exit with 128 + the signal number;
 *   2. if the child has not ended after GRACE_MS (it is inside synchronous work), kills it
 *      with SIGKILL, removes the temporaries it had open (the child reports each one, before
 *      creating it and after renaming it, on a pipe: fd 3), prints the same one line and
 *      exits with the same code.
 * So a signal always ends snnc within a second, whatever the work is doing. Otherwise the
 * supervisor exits with the child's exit code; a child killed by a signal nobody sent through
 * the supervisor (the kernel's OOM killer, a V8 abort) is reported in one line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How long the child may take to end by itself after a signal. */
export const GRACE_MS = 500;

const HANDLED = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type Handled = keyof typeof HANDLED;

/** Temporary files the child reported as open ('+path' lines) and not yet renamed ('-path'). */
class TemporaryLedger {
  private readonly open = new Set<string>();
  private partial = '';

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('+')) this.open.add(line.slice(1));
      else if (line.startsWith('-')) this.open.delete(line.slice(1));
    }
  }

  removeAll(): void {
    for (const tmp of this.open) {
      try {
        fs.rmSync(tmp, { force: true, recursive: true });
      } catch {
        // Best effort: the process is ending.
      }
    }
    this.open.clear();
  }
}

function say(line: string): void {
  try {
    process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${line}\n`);
  } catch {
    // stderr is gone: the exit code still tells.
  }
}

/** Runs `snnc <argv>` in a child process and ends as it ends (see the file comment). */
export function supervise(argv: readonly string[]): void {
  const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');
  // fd 4: an IPC channel the child only watches: it closes when this process dies, even by
  // SIGKILL, and the child then stops instead of running on without a supervisor.
  const child = spawn(process.execPath, [...process.execArgv, childScript, ...argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'ipc'],
  });
  const ledger = new TemporaryLedger();
  const pipe = child.stdio[3] as NodeJS.ReadableStream | null;
  pipe?.setEncoding('utf8');
  pipe?.on('data', (d: string) => ledger.feed(d));
  pipe?.on('error', () => undefined);
  let stopping: Handled | null = null;

  const end = (code: number, line?: string): never => {
    ledger.removeAll();
    if (line) say(line);
    process.exit(code);
  };
  for (const signal of Object.keys(HANDLED) as Handled[]) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = signal;
      child.kill(signal);
      setTimeout(() => {
        child.kill('SIGKILL');
        end(HANDLED[signal], `snnc: interrupted by ${signal}`);
      }, GRACE_MS);
    });
  }
  child.on('error', (err) => end(70, `snnc: internal error: cannot start the command process (${err.message})`));
  child.on('exit', (code, signal) => {
    // Lines the child wrote just before it ended are still in the pipe: read them first.
    setImmediate(() => {
      if (code !== null) end(code);
      const name = signal ?? 'SIGKILL';
      if (stopping) end(HANDLED[stopping], `snnc: interrupted by ${stopping}`);
      const number = os.constants.signals[name as NodeJS.Signals] ?? 9;
      end(128 + number, `snnc: ended by ${name}${name === 'SIGKILL' ? ' (out of memory?)' : ''}`);
    });
  });
}
