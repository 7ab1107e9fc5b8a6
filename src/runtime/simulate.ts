/**
 * The spiking network on a whole dataset, in batches that fit a memory budget: accuracy of
 * the accumulated output at every step t = 1..T, spikes per layer, synaptic input events.
 */
import type { Dataset } from '../model/dataset.js';
import { maxAbsInput, preprocessBatch } from '../model/dataset.js';
import type { SnnModel } from '../model/snn-model.js';
import { sizeOf } from '../ir/tensor.js';
import { checkAllocation } from '../util/memory-limit.js';
import { DEFAULT_RUNTIME, type RuntimeSettings } from './settings.js';
import { SnnSimulator, type LayerActivity } from './simulator.js';

/** Memory for the simulator's live values; batches are cut to fit it whatever the dataset size. */
export const DEFAULT_SIM_MEMORY_BYTES = 384 * 2 ** 20;

export interface SimulateOptions {
  timesteps: number;
  runtime?: RuntimeSettings;
  batchSize: number;
  threads?: number;
  memoryBytes?: number;
  onProgress?: (phase: 'ann' | 'snn', done: number, total: number) => void;
  /** Per-neuron spike counts of `layers` over all T steps, [batch][neurons], for the batches holding the first `samples` images. */
  spikeCounts?: {
    layers: ReadonlySet<string>;
    samples: number;
    visit: (layer: string, counts: Float32Array, start: number, count: number) => void;
  };
}

/** The largest batch up to `requested` whose live values fit the memory budget. */
export function simBatchSize(sim: SnnSimulator, requested: number, memoryBytes = DEFAULT_SIM_MEMORY_BYTES): number {
  return Math.max(1, Math.min(requested, Math.floor(memoryBytes / sim.peakBytesPerSample())));
}

export interface SimulationRun {
  accuracyByStep: number[];
  activity: Map<string, LayerActivity>;
  inputEvents: Map<string, number>;
  simBatch: number;
  seconds: number;
}

/** The SNN alone on `ds`: accuracy at every step, spikes per layer, synaptic events. */
export async function simulate(model: SnnModel, ds: Dataset, options: SimulateOptions): Promise<SimulationRun> {
  const T = options.timesteps;
  const sim = await SnnSimulator.create(model.snn, T, {
    threads: options.threads,
    runtime: options.runtime ?? DEFAULT_RUNTIME,
    inputScale: maxAbsInput(model.preprocess, model.snn.input.shape[0]!),
  });
  const simBatch = simBatchSize(sim, options.batchSize, options.memoryBytes);
  const correct = new Float64Array(T);
  const activity = new Map<string, LayerActivity>();
  const inputEvents = new Map<string, number>();
  let seconds = 0;
  const inputPer = sizeOf(model.snn.input.shape);
  try {
    checkAllocation(sim.peakBytesPerSample(), 'the spiking simulation of one sample');
    for (let start = 0; start < ds.count; start += simBatch) {
      const count = Math.min(simBatch, ds.count - start);
      const x = preprocessBatch(ds, start, count, model.preprocess, new Float32Array(count * inputPer));
      const watch = options.spikeCounts && start < options.spikeCounts.samples ? options.spikeCounts : undefined;
      const r = await sim.runBatch(x, count, { firstSample: start, ...(watch ? { capture: watch.layers } : {}) });
      if (watch) for (const [name, counts] of r.counts) watch.visit(name, counts, start, count);
      seconds += r.seconds;
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < count; b++) if (r.predictions[t * count + b] === ds.labels[start + b]) correct[t]!++;
      }
      for (const [name, e] of r.inputEvents) inputEvents.set(name, (inputEvents.get(name) ?? 0) + e);
      for (const [name, a] of r.activity) {
        const prev = activity.get(name) ?? { spikes: 0, saturated: 0 };
        activity.set(name, { spikes: prev.spikes + a.spikes, saturated: prev.saturated + a.saturated });
      }
      options.onProgress?.('snn', start + count, ds.count);
    }
  } finally {
    await sim.release();
  }
  return { accuracyByStep: Array.from(correct, (c) => c / ds.count), activity, inputEvents, simBatch, seconds };
}
