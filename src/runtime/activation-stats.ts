/**
 * Calibration statistics for data-based normalisation (Diehl et al. 2015, Rueckauer et al.
 * 2017): the ANN runs on calibration images and, for every ReLU, the p-th percentile of its
 * positive activations becomes the scale lambda that the SNN maps to the highest firing rate
 * (never above the ReLU's ceiling, if it has one: the ANN itself clips there).
 *
 * Percentiles are over positive activations (zeros say nothing about the range). At most
 * MAX_VALUES_PER_BUFFER values are kept per layer (or channel): beyond that a fixed stride
 * subsamples the stream, deterministically. The maximum is always exact.
 */
import { OUTPUT_STATS, type ActivationStats } from '../model/activation-stats.js';
import type { Dataset, Preprocess } from '../model/dataset.js';
import type { Graph, ReluNode } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { GrowableFloat32 } from '../util/growable.js';
import { percentile } from '../util/percentile.js';
import { runAnn, type AnnRunOptions } from './ann.js';

export const MAX_VALUES_PER_BUFFER = 4_000_000;

export interface StatsOptions {
  percentile: number;
  channelwise: boolean;
  /** Also collect the graph output's positive values (for a spiking readout), under OUTPUT_STATS. */
  output?: boolean;
}

class LayerCollector {
  readonly buffers: GrowableFloat32[];
  private seen = 0;
  private positives = 0;
  private total = 0;
  max = 0;

  constructor(
    readonly channels: number,
    readonly plane: number,
    private readonly stride: number,
  ) {
    this.buffers = Array.from({ length: channels }, () => new GrowableFloat32());
  }

  add(data: Float32Array): void {
    const per = this.channels * this.plane;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      this.total++;
      if (!(v > 0)) continue;
      this.positives++;
      if (v > this.max) this.max = v;
      if (this.seen++ % this.stride !== 0) continue;
      const channel = this.channels === 1 ? 0 : Math.floor((i % per) / this.plane);
      this.buffers[channel]!.push(v);
    }
  }

  /** `ceiling`: the ReLU's upper bound (ReLU6, Clip(0, c)), which no activation exceeds. */
  finish(p: number, ceiling = Infinity): ActivationStats {
    return this.finishWith((values) => (p >= 100 && this.channels === 1 ? this.max : percentile(values, p)), ceiling);
  }

  /** Statistics with lambda = choose(positive samples of the layer or channel). */
  finishWith(choose: (values: Float32Array) => number, ceiling = Infinity): ActivationStats {
    const lambda = this.buffers.map((b) => {
      const l = Math.min(ceiling, choose(b.view()));
      // A channel that never fired in calibration: any positive scale works, 1 keeps weights as they are.
      return Number.isFinite(l) && l > 0 ? l : 1;
    });
    let clipped = 0;
    let kept = 0;
    this.buffers.forEach((b, c) => {
      for (const v of b.view()) if (v > lambda[c]!) clipped++;
      kept += b.length;
    });
    return {
      lambda,
      clippedFraction: kept > 0 ? clipped / kept : 0,
      max: this.max,
      activeFraction: this.total > 0 ? this.positives / this.total : 0,
    };
  }
}

/** Positive activations of every ReLU (and optionally the output) on the calibration images. */
export class ActivationSamples {
  constructor(
    private readonly collectors: Map<string, { collector: LayerCollector; ceiling?: number }>,
  ) {}

  /** Statistics with lambda at the p-th percentile, by ReLU node name (and OUTPUT_STATS). */
  stats(p: number): Map<string, ActivationStats> {
    const out = new Map<string, ActivationStats>();
    for (const [name, { collector, ceiling }] of this.collectors) out.set(name, collector.finish(p, ceiling));
    return out;
  }

  /** Statistics with lambda = choose(positive samples) per layer or channel (e.g. convert/lambda-fit.ts). */
  statsWith(choose: (values: Float32Array) => number): Map<string, ActivationStats> {
    const out = new Map<string, ActivationStats>();
    for (const [name, { collector, ceiling }] of this.collectors) out.set(name, collector.finishWith(choose, ceiling));
    return out;
  }
}

/** Runs the ANN on `calib` and keeps the samples from which lambda is taken at any percentile. */
export async function sampleActivations(
  graph: Graph,
  calib: Dataset,
  pre: Preprocess,
  options: Omit<StatsOptions, 'percentile'>,
  run: Omit<AnnRunOptions, 'watch'>,
): Promise<ActivationSamples> {
  const shapes = inferShapes(graph);
  const watched = graph.nodes
    .filter((n): n is ReluNode => n.op === 'relu')
    .map((n) => ({ key: n.name, value: n.output, channelwise: options.channelwise, ceiling: n.ceiling }));
  // The readout compares classes, so its scale is one value for the layer.
  if (options.output) watched.push({ key: OUTPUT_STATS, value: graph.output, channelwise: false, ceiling: undefined });
  const collectors = new Map<string, { collector: LayerCollector; ceiling?: number }>();
  for (const w of watched) {
    const shape = shapes.get(w.value)!;
    const perSample = sizeOf(shape);
    const channels = w.channelwise ? shape[0]! : 1;
    const stride = Math.max(1, Math.ceil((perSample * calib.count) / (MAX_VALUES_PER_BUFFER * channels)));
    const collector = new LayerCollector(channels, perSample / shape[0]!, stride);
    collectors.set(w.key, w.ceiling === undefined ? { collector } : { collector, ceiling: w.ceiling });
  }
  await runAnn(graph, calib, pre, { ...run, watch: watched.map((w) => w.value) }, (outputs) => {
    for (const w of watched) collectors.get(w.key)!.collector.add(outputs.get(w.value)!);
  });
  return new ActivationSamples(collectors);
}

/** Runs the ANN on `calib` and returns the statistics of every ReLU output, by node name. */
export async function collectActivationStats(
  graph: Graph,
  calib: Dataset,
  pre: Preprocess,
  options: StatsOptions,
  run: Omit<AnnRunOptions, 'watch'>,
): Promise<Map<string, ActivationStats>> {
  return (await sampleActivations(graph, calib, pre, options, run)).stats(options.percentile);
}
