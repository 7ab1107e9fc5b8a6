/**
 * Where a deep network loses accuracy: every spiking layer's firing rates against the rates
 * its ANN layer asks for, on the first images of an evaluation.
 *
 * The ANN's ReLU output a (onnxruntime) maps to the target rate r* = clip(r_max a / lambda, 0,
 * r_max) (the same target calibration corrects towards); the SNN's rate is r = spikes / T over
 * the whole run. Per layer:
 *
 *   rate error  = mean |r - r*| / mean r*     (how far the layer is from its ANN, relative)
 *   rate bias   = mean (r - r*) / mean r*     (its systematic part: < 0 fires too little)
 *
 * Errors of a layer include those it inherits from the layers before it; a jump from one
 * layer to the next points at the layer that adds it.
 */
import type { Dataset } from '../model/dataset.js';
import { limitDataset } from '../model/dataset.js';
import type { SnnModel } from '../model/snn-model.js';
import type { SpikeNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { runAnn } from '../runtime/ann.js';
import type { OrtOptions } from '../runtime/ort.js';
import { maxRate } from '../snn/layer.js';

/** Memory for the ANN's target rates of all layers (bounds how many images are compared). */
export const LAYER_ERROR_BYTES = 64 * 2 ** 20;
/** At most this many images are compared. */
export const LAYER_ERROR_MAX_SAMPLES = 200;

export interface LayerError {
  /** Images compared. */
  samples: number;
  rateError: number;
  rateBias: number;
}

export class LayerErrors {
  private readonly sums = new Map<string, { abs: number; signed: number; target: number }>();

  private constructor(
    readonly samples: number,
    private readonly layers: SpikeNode[],
    /** Target rates [image][neuron] by layer name. */
    private readonly targets: Map<string, Float32Array>,
  ) {
    for (const l of layers) this.sums.set(l.name, { abs: 0, signed: 0, target: 0 });
  }

  /** Runs the ANN on the first images of `ds` (as many as fit LAYER_ERROR_BYTES) and keeps their target rates. */
  static async collect(model: SnnModel, ds: Dataset, run: OrtOptions & { batchSize: number }): Promise<LayerErrors> {
    const layers = model.snn.nodes.filter((n): n is SpikeNode => n.op === 'spike');
    const shapes = inferShapes(model.ann);
    const annLayers = layers.filter((l) => shapes.has(l.output));
    const perImage = annLayers.reduce((s, l) => s + sizeOf(shapes.get(l.output)!), 0);
    const samples = Math.max(1, Math.min(ds.count, LAYER_ERROR_MAX_SAMPLES, Math.floor(LAYER_ERROR_BYTES / (4 * Math.max(1, perImage)))));
    const targets = new Map<string, Float32Array>();
    for (const l of annLayers) targets.set(l.name, new Float32Array(samples * sizeOf(shapes.get(l.output)!)));
    await runAnn(model.ann, limitDataset(ds, samples), model.preprocess, { ...run, watch: annLayers.map((l) => l.output) }, (outputs, start) => {
      for (const l of annLayers) {
        const a = outputs.get(l.output)!;
        const shape = shapes.get(l.output)!;
        const per = sizeOf(shape);
        const plane = per / shape[0]!;
        const rMax = maxRate(l.neuron.tRefSteps);
        const out = targets.get(l.name)!;
        for (let i = 0; i < a.length; i++) {
          const lambda = l.lambda[l.lambda.length === 1 ? 0 : Math.floor((i % per) / plane)]!;
          out[start * per + i] = Math.min(rMax, Math.max(0, (rMax * a[i]!) / lambda));
        }
      }
    });
    return new LayerErrors(samples, annLayers, targets);
  }

  /** Spiking layers whose counts add() wants. */
  layerNames(): Set<string> {
    return new Set(this.layers.map((l) => l.name));
  }

  /** Spike counts [batch][neurons] of `layer` over T steps for the samples start.. of one batch. */
  add(layer: string, counts: Float32Array, start: number, count: number, timesteps: number): void {
    const target = this.targets.get(layer);
    const sums = this.sums.get(layer);
    if (!target || !sums || start >= this.samples) return;
    const per = counts.length / count;
    const n = Math.min(count, this.samples - start) * per;
    const t = target.subarray(start * per);
    for (let i = 0; i < n; i++) {
      const d = counts[i]! / timesteps - t[i]!;
      sums.abs += Math.abs(d);
      sums.signed += d;
      sums.target += t[i]!;
    }
  }

  result(): Map<string, LayerError> {
    const out = new Map<string, LayerError>();
    for (const [name, s] of this.sums) {
      const scale = s.target > 0 ? s.target : 1;
      out.set(name, { samples: this.samples, rateError: s.abs / scale, rateBias: s.signed / scale });
    }
    return out;
  }
}
