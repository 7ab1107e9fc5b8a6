/**
 * Runs an snnc command line inside the test process: the command process's own code path
 * (cli/main.ts `runCommand`: parsing, the command, errors turned into exit codes and printed),
 * with stdout, stderr and the console captured. What it leaves out is the process boundary
 * (bin/snnc, the supervisor, exit handlers); tests of that run the binary (helpers/cli.ts,
 * test/robustness/). A command line costs milliseconds here instead of two Node.js starts.
 * Runs are serialised: the captured streams are process-wide.
 */
import { runCommand } from '../../src/cli/main.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

export function snncInProcess(args: string[]): Promise<InProcessResult> {
  const run = queue.then(() => capture(args));
  queue = run.catch(() => undefined);
  return run;
}

async function capture(args: string[]): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const writer = (append: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  const toOut = (s: string) => (stdout += s);
  const toErr = (s: string) => (stderr += s);
  const line = (append: (s: string) => void) => (...xs: unknown[]) => append(xs.map(String).join(' ') + '\n');
  const saved = {
    out: process.stdout.write,
    err: process.stderr.write,
    log: console.log,
    info: console.info,
    debug: console.debug,
    warn: console.warn,
    error: console.error,
  };
  process.stdout.write = writer(toOut);
  process.stderr.write = writer(toErr);
  Object.assign(console, { log: line(toOut), info: line(toOut), debug: line(toOut), warn: line(toErr), error: line(toErr) });
  try {
    const code = await runCommand([process.execPath, 'snnc', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    Object.assign(console, { log: saved.log, info: saved.info, debug: saved.debug, warn: saved.warn, error: saved.error });
  }
}
