/**
 * Layer-by-layer "light" calibration (Li et al. 2021): run the converted SNN on calibration
 * images for T steps, compare each spiking layer's rates with the rates the ANN asks for,
 * r = clip(r_max a / lambda, 0, r_max), and correct the mean error per channel (by the bias or
 * by v(0), see passes/shift-currents.ts). Layers are corrected in order, each measured after
 * the corrections of the layers before it.
 *
 * Cost: layer l is measured on the graph up to l only (what follows cannot change it), so
 * calibrating L layers costs about L/2 simulations of the whole network. To keep deep networks
 * affordable the simulations use at most max(CALIB_RUN_MIN_IMAGES, CALIB_RUN_IMAGE_LAYERS / L)
 * of the calibration images (the first ones): the correction is a mean per channel over images
 * and positions, which a few hundred images pin down.
 */
import { limitDataset, maxAbsInput, type Dataset } from '../model/dataset.js';
import type { SnnModel } from '../model/snn-model.js';
import type { Graph, SpikeNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { shiftCurrents, type CalibrationMode } from '../passes/shift-currents.js';
import { runAnn } from '../runtime/ann.js';
import { driveSnn } from '../runtime/batch-driver.js';
import { defaultThreads, type OrtOptions } from '../runtime/ort.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { maxRate } from '../snn/layer.js';

export const CALIB_RUN_MIN_IMAGES = 256;
export const CALIB_RUN_IMAGE_LAYERS = 4096;

/** Calibration images the layer-by-layer simulations use for a network of `layers` spiking layers. */
export function calibRunImages(available: number, layers: number): number {
  return Math.min(available, Math.max(CALIB_RUN_MIN_IMAGES, Math.floor(CALIB_RUN_IMAGE_LAYERS / Math.max(1, layers))));
}

/** The nodes up to spiking layer `layer`, with its spikes as the output. */
function prefixGraph(graph: Graph, layer: SpikeNode): Graph {
  const end = graph.nodes.findIndex((n) => n.name === layer.name);
  return { ...graph, nodes: graph.nodes.slice(0, end + 1), output: layer.output };
}

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
  const used = calibRunImages(calib.count, layers.length);
  calib = limitDataset(calib, used);
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
      prefixGraph(snn, layer),
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
  if (used < model.conversion.calibSamples) log.push(`calibrate-${mode}: measured on the first ${used} calibration images (${layers.length} spiking layers)`);
  return { model: { ...model, snn }, log };
}
