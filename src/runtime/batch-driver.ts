/**
 * The one batch loop of the spiking runtime: runs a converted graph over a dataset in
 * batches, on `threads` cores, and hands each batch's result to the caller in sample order.
 *
 * - threads = 1: one simulator in this thread (onnxruntime at one intra-op thread).
 * - threads = N > 1: N worker threads (parallel/sim-worker.ts), each with its own simulator
 *   and onnxruntime sessions at one intra-op thread, fed whole batches; this thread only
 *   preprocesses inputs and merges results. onnxruntime-node runs a session synchronously on
 *   the calling thread, so one simulator cannot overlap its neuron scans with its linear
 *   layers; separate workers keep both cores busy.
 *
 * Results never depend on the split: random draws are keyed by dataset index (firstSample),
 * the executor of every linear node (onnxruntime or event-driven) is decided once per run by
 * a probe of the first PROBE_SAMPLES samples over up to PROBE_STEPS steps and imposed on every
 * simulator, and `visit` sees batches in dataset order whatever order the workers finish in.
 */
import { Worker } from 'node:worker_threads';
import { preprocessBatch, type Dataset, type Preprocess } from '../model/dataset.js';
import type { Graph } from '../ir/graph.js';
import { sizeOf } from '../ir/tensor.js';
import { checkAllocation, defaultMaxMemoryBytes } from '../util/memory-limit.js';
import type { ExecutorKind } from './linear/linear-node.js';
import type { FromWorker, ToWorker } from './parallel/protocol.js';
import { SnnSimulator, type BatchResult, type SimOptions } from './simulator.js';

/** Samples of the probe that decides the executors from their input densities. */
export const PROBE_SAMPLES = 16;
/** Steps of the probe (at most T): the densities of the early steps differ from the run's. */
export const PROBE_STEPS = 32;

/** Memory for the simulators' live values (all workers together); batches are cut to fit it. */
export const DEFAULT_SIM_MEMORY_BYTES = 384 * 2 ** 20;

/** Batches in flight per worker: one running, one waiting, so a worker never idles between batches. */
const IN_FLIGHT = 2;

export interface DriveOptions {
  /** Cores to use in all (workers, each with one onnxruntime thread). */
  threads: number;
  /** Samples per batch (cut further to fit memoryBytes). */
  batchSize: number;
  memoryBytes?: number;
  /** Spiking (or other) nodes whose per-neuron counts each result carries. */
  capture?: readonly string[];
  onBatch?: (done: number, total: number) => void;
  /** The run's memory budget (--max-memory); default: half of this machine's memory. */
  maxMemoryBytes?: number;
}

export interface DriveSummary {
  /** Samples per batch actually used. */
  simBatch: number;
  /** Simulators that ran batches (1: in this thread). */
  workers: number;
  /** Executors of the linear nodes on temporal inputs, decided once for the run. */
  executors: Record<string, ExecutorKind>;
  /** Wall time of the whole run (probe, workers' start-up, batches). */
  seconds: number;
  /** Wall time of the batches alone, from the first batch handed out to the last result. */
  batchSeconds: number;
}

/** The largest batch up to `requested` whose live values (per simulator) fit the budget. */
export function batchForBudget(bytesPerSample: number, requested: number, memoryBytes: number): number {
  return Math.max(1, Math.min(requested, Math.floor(memoryBytes / bytesPerSample)));
}

/**
 * Runs `graph` for `timesteps` steps on every sample of `ds` (preprocessed by `pre`); `visit`
 * gets each batch's result with the dataset index of its first sample, in increasing order.
 */
export async function driveSnn(
  graph: Graph,
  timesteps: number,
  options: Omit<SimOptions, 'threads'>,
  ds: Dataset,
  pre: Preprocess,
  drive: DriveOptions,
  visit: (r: BatchResult, start: number, count: number) => void,
): Promise<DriveSummary> {
  const began = performance.now();
  const threads = Math.max(1, drive.threads);
  const memoryBytes = drive.memoryBytes ?? DEFAULT_SIM_MEMORY_BYTES;
  const inputPer = sizeOf(graph.input.shape);
  const probe = await SnnSimulator.create(graph, timesteps, { ...options, threads: 1 });
  let local: SnnSimulator | null = probe;
  try {
    const executors = { ...(await decideExecutors(probe, ds, pre, options)) };
    const perSample = probe.peakBytesPerSample();
    checkAllocation(perSample, 'the spiking simulation of one sample', drive.maxMemoryBytes ?? defaultMaxMemoryBytes());
    // One batch per worker alive at a time (plus one waiting, holding only its inputs).
    const guess = Math.min(threads, Math.ceil(ds.count / batchForBudget(perSample, drive.batchSize, memoryBytes)));
    const simBatch = batchForBudget(perSample, drive.batchSize, memoryBytes / Math.max(1, guess));
    const batches = Math.ceil(ds.count / simBatch);
    const workers = Math.max(1, Math.min(threads, batches));
    const jobs = Array.from({ length: batches }, (_, i) => ({ start: i * simBatch, count: Math.min(simBatch, ds.count - i * simBatch) }));
    const input = (start: number, count: number) => preprocessBatch(ds, start, count, pre, new Float32Array(count * inputPer));
    const capture = drive.capture ?? [];
    let batchesBegan = 0;
    if (workers === 1) {
      // The probe chose on its first chunk; it runs the batches only if that matches the run's choice.
      if (threads > 1 || !sameExecutors(probe.decidedExecutors(), executors)) {
        await probe.release();
        local = null;
        local = await SnnSimulator.create(graph, timesteps, { ...options, threads, executors });
      }
      const sim = local!;
      batchesBegan = performance.now();
      for (const { start, count } of jobs) {
        visit(await sim.runBatch(input(start, count), count, { capture: new Set(capture), firstSample: start }), start, count);
        drive.onBatch?.(start + count, ds.count);
      }
    } else {
      await probe.release();
      local = null;
      await runOnWorkers(
        workers,
        { kind: 'init', graph, timesteps, options: { ...options, threads: 1, executors } },
        jobs,
        input,
        capture,
        (r, start, count) => {
          visit(r, start, count);
          drive.onBatch?.(start + count, ds.count);
        },
        () => (batchesBegan ||= performance.now()),
      );
    }
    const end = performance.now();
    return { simBatch, workers, executors, seconds: (end - began) / 1000, batchSeconds: (end - batchesBegan) / 1000 };
  } finally {
    await local?.release();
  }
}

/**
 * Runs the first PROBE_SAMPLES samples for the first PROBE_STEPS steps (whole chunks, at most
 * T) and returns the cheaper executor of each linear node at the input densities measured over
 * those steps (nothing when the mode is not 'auto').
 */
async function decideExecutors(probe: SnnSimulator, ds: Dataset, pre: Preprocess, options: Omit<SimOptions, 'threads'>): Promise<Record<string, ExecutorKind>> {
  if ((options.linear ?? 'auto') !== 'auto' || ds.count === 0) return options.executors ?? {};
  const count = Math.min(PROBE_SAMPLES, ds.count);
  const x = preprocessBatch(ds, 0, count, pre, new Float32Array(count * sizeOf(probe.graph.input.shape)));
  const K = probe.stepsFor(count);
  const steps = Math.min(probe.timesteps, Math.ceil(PROBE_STEPS / K) * K);
  const result = await probe.runBatch(x, count, { firstSample: 0, maxSteps: steps });
  return { ...probe.executorsAt(result.inputEvents, steps * count), ...(options.executors ?? {}) };
}

function sameExecutors(a: Record<string, ExecutorKind>, b: Record<string, ExecutorKind>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Where the compiled worker lives (tests run this file from src/ as TypeScript: use dist/). */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const at = here.lastIndexOf('/src/');
    return new URL(`${here.slice(0, at)}/dist/runtime/parallel/sim-worker.js`);
  }
  return new URL('./parallel/sim-worker.js', here);
}

interface Job {
  start: number;
  count: number;
}

async function runOnWorkers(
  n: number,
  init: ToWorker,
  jobs: Job[],
  input: (start: number, count: number) => Float32Array,
  capture: readonly string[],
  visit: (r: BatchResult, start: number, count: number) => void,
  onFirstBatch: () => void,
): Promise<void> {
  const workers = Array.from({ length: n }, () => new Worker(workerUrl()));
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let visited = 0;
      let failed = false;
      const done = new Map<number, BatchResult>();
      const fail = (e: Error) => {
        if (!failed) reject(e);
        failed = true;
      };
      const dispatch = (w: Worker) => {
        if (failed || next >= jobs.length) return;
        const id = next++;
        const { start, count } = jobs[id]!;
        const x = input(start, count);
        onFirstBatch();
        const m: ToWorker = { kind: 'batch', id, x, count, firstSample: start, capture: [...capture] };
        w.postMessage(m, [x.buffer as ArrayBuffer]);
      };
      for (const w of workers) {
        w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
        w.on('exit', (code) => {
          if (visited < jobs.length) fail(new Error(`internal: a simulation worker exited (code ${code}) before the run ended`));
        });
        w.on('message', (m: FromWorker) => {
          if (failed) return;
          if (m.kind === 'error') {
            const e = new Error(`internal: simulation worker: ${m.message}`);
            if (m.stack) e.stack = m.stack;
            fail(e);
            return;
          }
          if (m.kind === 'ready') {
            // Every worker starts at once; batches go out as soon as it can take them.
            for (let k = 0; k < IN_FLIGHT; k++) dispatch(w);
            return;
          }
          if (m.kind !== 'result') return;
          done.set(m.id, m.result);
          // In dataset order: batch `visited` first, whatever order the workers finish in.
          try {
            while (done.has(visited)) {
              const r = done.get(visited)!;
              done.delete(visited);
              const { start, count } = jobs[visited]!;
              visited++;
              visit(r, start, count);
            }
          } catch (e) {
            fail(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          if (visited === jobs.length) resolve();
          else dispatch(w);
        });
        w.postMessage(init);
      }
    });
  } finally {
    await Promise.all(workers.map(closeWorker));
  }
}

/** How long a worker may take to release its sessions and exit before it is terminated. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Ends a worker by asking it to release its onnxruntime sessions and let its thread end.
 * Terminating a worker whose sessions are alive can abort the whole process (onnxruntime-node
 * throws from a finalizer while the worker's environment is torn down), so terminate() is the
 * last resort, for a worker that does not exit in time.
 */
async function closeWorker(w: Worker): Promise<void> {
  if (w.threadId === -1) return;
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    w.postMessage({ kind: 'close' } satisfies ToWorker);
  } catch {
    // Already gone.
  }
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS)));
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) await w.terminate();
}
