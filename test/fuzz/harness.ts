/**
 * What every fuzz case must end in: a successful load, or a UserError whose message is one
 * line starting with the file's name; nothing else (no TypeError, RangeError, protobuf or
 * zlib error), and within PER_CASE_MS. The seed is fixed so that runs are reproducible;
 * FUZZ_SEED and FUZZ_SCALE (a multiplier of the number of cases) explore further.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from '../../src/errors.js';

/** A hang detector, not a speed test: a normal case takes well under a millisecond to a few. */
export const PER_CASE_MS = 5000;
export const SEED = Number(process.env.FUZZ_SEED ?? 8);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

export function runs(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

export type Outcome = 'ok' | 'user';

export class Tally {
  ok = 0;
  user = 0;
  add(o: Outcome): void {
    this[o]++;
  }
}

/** With FUZZ_VERBOSE=1: how often each kind of user error came up (digits and names blurred). */
export const messages = new Map<string, number>();
const VERBOSE = process.env.FUZZ_VERBOSE === '1';

export function printMessages(title: string): void {
  if (!VERBOSE) return;
  const rows = [...messages].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${String(n).padStart(6)}  ${m}`);
  console.log(`${title}: ${messages.size} kinds of user error\n${rows.join('\n')}`);
  messages.clear();
}

/** `file`: the name a user error must start with (any of several, when a load reads several files). */
function check(err: unknown, file: string | readonly string[], began: number): Outcome {
  if (!(err instanceof UserError)) {
    throw new Error(`expected a UserError or success, got: ${(err as Error)?.stack ?? String(err)}`);
  }
  if (/[\n\r]/.test(err.message)) throw new Error(`user error spans several lines: ${JSON.stringify(err.message)}`);
  const named = (typeof file === 'string' ? [file] : file).find((f) => err.message.startsWith(f));
  if (named === undefined) throw new Error(`user error does not start with the file name ${String(file)}: ${err.message}`);
  if (VERBOSE) {
    const kind = err.message.slice(named.length).replace(/'[^']*'/g, "'_'").replace(/\d+/g, '#').slice(0, 110);
    messages.set(kind, (messages.get(kind) ?? 0) + 1);
  }
  return timed('user', began);
}

function timed(o: Outcome, began: number): Outcome {
  const ms = performance.now() - began;
  if (ms > PER_CASE_MS) throw new Error(`case took ${ms.toFixed(0)} ms (limit ${PER_CASE_MS})`);
  return o;
}

/**
 * A case that hangs in synchronous code can be stopped by nothing inside this thread (not the
 * property, not vitest's timeout): a watchdog thread checks the running case's start time and,
 * past HANG_MS, prints the case and kills this process, so the run fails instead of stalling.
 */
const HANG_MS = 60_000;
const watch = { started: new BigInt64Array(new SharedArrayBuffer(8)), text: new Uint8Array(new SharedArrayBuffer(4096)) };
let watchdog: Worker | null = null;

function watchCase(what: unknown): void {
  if (!watchdog) {
    watchdog = new Worker(
      `const { workerData: w } = require('node:worker_threads');
       const fs = require('node:fs');
       setInterval(() => {
         const started = Number(Atomics.load(w.started, 0));
         if (started === 0 || Date.now() - started < w.hangMs) return;
         const end = w.text.indexOf(0);
         const text = Buffer.from(w.text.slice(0, end < 0 ? w.text.length : end)).toString();
         fs.writeSync(2, 'fuzz case running for more than ' + w.hangMs + ' ms, killing the test process: ' + text + '\\n');
         process.kill(process.pid, 'SIGKILL');
       }, 1000);`,
      { eval: true, workerData: { ...watch, hangMs: HANG_MS } },
    );
    watchdog.unref();
  }
  watch.text.fill(0);
  watch.text.set(new TextEncoder().encode(JSON.stringify(what) ?? '').subarray(0, watch.text.length - 1));
  Atomics.store(watch.started, 0, BigInt(Date.now()));
}

function caseDone(): void {
  Atomics.store(watch.started, 0, 0n);
}

/** Runs one load; returns its outcome or throws (failing the property) when it breaks the rules. */
export function outcomeOf(file: string | readonly string[], load: () => unknown, what: unknown = file): Outcome {
  const began = performance.now();
  watchCase(what);
  try {
    load();
  } catch (err) {
    return check(err, file, began);
  } finally {
    caseDone();
  }
  return timed('ok', began);
}

export async function outcomeOfAsync(file: string | readonly string[], load: () => Promise<unknown>, what: unknown = file): Promise<Outcome> {
  const began = performance.now();
  watchCase(what);
  try {
    await load();
  } catch (err) {
    return check(err, file, began);
  } finally {
    caseDone();
  }
  return timed('ok', began);
}

/** A scratch folder for the cases' files, in memory (/dev/shm) where the system has one: cases write thousands of files. */
export function fuzzDir(name: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, `snnc-fuzz-${name}-`));
}
