/**
 * Layer-by-layer "light" calibration (Li et al. 2021): run the converted SNN on calibration
 * images for T steps, compare each spiking layer's rates with the rates the ANN asks for,
 * r = clip(r_max a / lambda, 0, r_max), and correct the mean error per channel (by the bias or
 * by v(0), see passes/shift-currents.ts). Layers are corrected in order, each measured after
 * the corrections of the layers before it.
 */
import { maxAbsInput, type Dataset } from '../model/dataset.js';
import type { SnnModel } from '../model/snn-model.js';
import type { SpikeNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { shiftCurrents, type CalibrationMode } from '../passes/shift-currents.js';
import { runAnn } from '../runtime/ann.js';
import { driveSnn } from '../runtime/batch-driver.js';
import { defaultThreads, type OrtOptions } from '../runtime/ort.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { maxRate } from '../snn/layer.js';

export interface CalibrateRun extends OrtOptions {
  batchSize: number;
  /** The run's memory budget (--max-memory); default: half of this machine's memory. */
  maxMemoryBytes?: number;
  runtime?: RuntimeSettings;
  onLayer?: (layer: string, index: number, total: number) => void;
}

/** Target rates of every spiking layer on every calibration image: [image][neuron]. */
async function targetRates(model: SnnModel, calib: Dataset, layers: SpikeNode[], run: CalibrateRun): Promise<Map<string, Float32Array>> {
  const shapes = inferShapes(model.ann);
  const targets = new Map<string, Float32Array>();
  for (const l of layers) targets.set(l.name, new Float32Array(calib.count * sizeOf(shapes.get(l.output)!)));
  await runAnn(model.ann, calib, model.preprocess, { ...run, watch: layers.map((l) => l.output) }, (outputs, start, count) => {
    for (const l of layers) {
      const a = outputs.get(l.output)!;
      const shape = shapes.get(l.output)!;
      const plane = sizeOf(shape) / shape[0]!;
      const rMax = maxRate(l.neuron.tRefSteps);
      const out = targets.get(l.name)!.subarray(start * sizeOf(shape), (start + count) * sizeOf(shape));
      for (let i = 0; i < a.length; i++) {
        const lambda = l.lambda[l.lambda.length === 1 ? 0 : Math.floor(i / plane) % shape[0]!]!;
        out[i] = Math.min(rMax, Math.max(0, (rMax * a[i]!) / lambda));
      }
    }
  });
  return targets;
}

export async function calibrateLayers(
  model: SnnModel,
  calib: Dataset,
  timesteps: number,
  mode: CalibrationMode,
  run: CalibrateRun,
): Promise<{ model: SnnModel; log: string[] }> {
  const layers = model.snn.nodes.filter((n): n is SpikeNode => n.op === 'spike');
  const targets = await targetRates(model, calib, layers, run);
  const shapes = inferShapes(model.snn);
  let snn = model.snn;
  const log: string[] = [];
  for (const [index, layer] of layers.entries()) {
    run.onLayer?.(layer.name, index, layers.length);
    const shape = shapes.get(layer.output)!;
    const per = sizeOf(shape);
    const channels = shape[0]!;
    const plane = per / channels;
    const missing = new Float64Array(channels);
    const target = targets.get(layer.name)!;
    await driveSnn(
      snn,
      timesteps,
      { ...(run.runtime ? { runtime: run.runtime } : {}), inputScale: maxAbsInput(model.preprocess, snn.input.shape[0]!) },
      calib,
      model.preprocess,
      { threads: run.threads ?? defaultThreads(), batchSize: run.batchSize, capture: [layer.name] },
      // Batches arrive in dataset order: the sums are the same whatever the threads.
      (r, start, count) => {
        const spikes = r.counts.get(layer.name)!;
        const want = target.subarray(start * per, (start + count) * per);
        for (let i = 0; i < spikes.length; i++) missing[Math.floor(i / plane) % channels]! += want[i]! - spikes[i]! / timesteps;
      },
    );
    const delta = Float32Array.from(missing, (m) => m / (calib.count * plane));
    const result = shiftCurrents(layer.name, delta, mode, timesteps).run(snn);
    snn = result.graph;
    log.push(...result.log.map((l) => `calibrate-${mode}: ${l}`));
  }
  return { model: { ...model, snn }, log };
}
