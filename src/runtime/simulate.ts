/**
 * The spiking network on a whole dataset, in batches that fit a memory budget, on the cores
 * asked for (runtime/batch-driver.ts): accuracy of the accumulated output at every step
 * t = 1..T, spikes per layer, synaptic input events.
 */
import type { Dataset } from '../model/dataset.js';
import { maxAbsInput } from '../model/dataset.js';
import type { SnnModel } from '../model/snn-model.js';
import { driveSnn } from './batch-driver.js';
import { defaultThreads } from './ort.js';
import { DEFAULT_RUNTIME, type RuntimeSettings } from './settings.js';
import type { LayerActivity } from './simulator.js';

export interface SimulateOptions {
  timesteps: number;
  runtime?: RuntimeSettings;
  batchSize: number;
  threads?: number;
  memoryBytes?: number;
  /** The run's memory budget (--max-memory); default: half of this machine's memory. */
  maxMemoryBytes?: number;
  onProgress?: (phase: 'ann' | 'snn', done: number, total: number) => void;
  /** Per-neuron spike counts of `layers` over all T steps, [batch][neurons], for the batches holding the first `samples` images. */
  spikeCounts?: {
    layers: ReadonlySet<string>;
    samples: number;
    visit: (layer: string, counts: Float32Array, start: number, count: number) => void;
  };
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
  const correct = new Float64Array(T);
  const activity = new Map<string, LayerActivity>();
  const inputEvents = new Map<string, number>();
  const summary = await driveSnn(
    model.snn,
    T,
    { runtime: options.runtime ?? DEFAULT_RUNTIME, inputScale: maxAbsInput(model.preprocess, model.snn.input.shape[0]!) },
    ds,
    model.preprocess,
    {
      threads: options.threads ?? defaultThreads(),
      batchSize: options.batchSize,
      ...(options.memoryBytes !== undefined ? { memoryBytes: options.memoryBytes } : {}),
      ...(options.maxMemoryBytes !== undefined ? { maxMemoryBytes: options.maxMemoryBytes } : {}),
      onBatch: (done, total) => options.onProgress?.('snn', done, total),
      ...(options.spikeCounts ? { capture: [...options.spikeCounts.layers] } : {}),
    },
    (r, start, count) => {
      const watch = options.spikeCounts;
      if (watch && start < watch.samples) for (const [name, counts] of r.counts) watch.visit(name, counts, start, count);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < count; b++) if (r.predictions[t * count + b] === ds.labels[start + b]) correct[t]!++;
      }
      for (const [name, e] of r.inputEvents) inputEvents.set(name, (inputEvents.get(name) ?? 0) + e);
      for (const [name, a] of r.activity) {
        const prev = activity.get(name) ?? { spikes: 0, saturated: 0 };
        activity.set(name, { spikes: prev.spikes + a.spikes, saturated: prev.saturated + a.saturated });
      }
    },
  );
  return { accuracyByStep: Array.from(correct, (c) => c / ds.count), activity, inputEvents, simBatch: summary.simBatch, seconds: summary.seconds };
}
