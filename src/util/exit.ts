/**
 * How an snnc process ends. The CLI installs these handlers once (cli/main.ts), so every
 * command gets them:
 *   SIGINT / SIGTERM / SIGHUP  temporary outputs are removed, one line on stderr, and the exit
 *                              code is 128 + the signal number (130 / 143 / 129), as shells do
 *   an error nothing caught    (an exception in a callback, a rejected promise nobody awaited)
 *                              goes to the CLI's error report like any other, then exits
 *   stdout / stderr closed     by the reader (`snnc inspect m.onnx | head -1`): exit quietly
 *                              with 141, as SIGPIPE would end a C program
 *   any exit                   temporary outputs are removed
 * Outputs are only ever renamed into place complete (atomic-write.ts), so whatever stops the
 * process, no file is left half-written.
 */
import { removePendingTemporaries } from './atomic-write.js';

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export const EXIT_BROKEN_PIPE = 141;

let installed = false;

/** Ends the process now with `code`, after removing temporary outputs and printing `message`. */
export function exitNow(code: number, message?: string): never {
  removePendingTemporaries();
  if (message) {
    try {
      // On a terminal a progress spinner may own the current line: clear it first.
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${message}\n`);
    } catch {
      // stderr is gone: the exit code still tells.
    }
  }
  process.exit(code);
}

/** `report` prints an error the way the CLI does and returns the exit code for it. */
export function installExitHandlers(report: (err: unknown) => number): void {
  if (installed) return;
  installed = true;
  process.on('exit', removePendingTemporaries);
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, () => exitNow(code, `snnc: interrupted by ${signal}`));
  }
  const fatal = (err: unknown): void => exitNow(report(err));
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? exitNow(EXIT_BROKEN_PIPE) : fatal(err)));
  }
}
