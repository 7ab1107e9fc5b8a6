/**
 * Layer-by-layer "light" calibration (Li et al. 2021): run the converted SNN on calibration
 * images for T steps, compare each spiking layer's rates with the rates the ANN asks for,
 * r = clip(r_max a / lambda, 0, r_max), and correct the mean error per channel (by the bias or
 * by v(0), see passes/shift-currents.ts). Layers are corrected in order, each measured after
 * the corrections of the layers before it.
 *
 * Bias calibration of a layer that resets to zero (--target nir) corrects each channel's gain
 * too: the charge above the threshold that a reset to zero throws away grows with the rate
 * (at a constant current z an IF neuron fires every ceil(1/z) steps, not 1/z), so the rate
 * falls short of the target in proportion, not by a constant. Per channel, over the
 * (image, position) samples the ANN drives (target > 0), the measured rate is fitted as
 * r = alpha target + beta (least squares), and the current becomes z' = (z - beta) / alpha:
 * weights and bias times 1/alpha, plus -beta/alpha (alpha kept in [1/2, 2]; channels with
 * fewer than GAIN_FIT_MIN_SAMPLES driven samples get the mean correction alone).
 *
 * Gain calibration (`gain`, the deep-network default) corrects each channel's gain first, then
 * its v(0). Deep layers receive their input late: the spikes of the layers before them take
 * steps to arrive, so a neuron's count at T falls short of its target by about its rate times
 * that delay, in proportion to its drive (measured on ResNet-32: rate biases of -15% to -48%
 * in the sparse first convolutions of the last stage). A v(0) shift is the same for every
 * neuron of a channel, so it over-serves the neurons the ANN leaves silent and under-serves the
 * driven ones; and past θ/2 it fires the silent ones outright. A gain only reaches the neurons
 * that receive current, in proportion to it. Per channel, over the samples the ANN drives
 * (target > 0), alpha = sum(rate) / sum(target); the current becomes z / alpha (alpha kept in
 * [1/2, 2]; channels with fewer than GAIN_FIT_MIN_SAMPLES driven samples keep gain 1), and
 * what the channel still misses on all samples, taking the measured rates as scaled by 1 / alpha,
 * goes to v(0) as in potential calibration:
 *
 *   delta = mean over samples of (target - rate / alpha)      (spikes per step)
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
import { shiftCurrents } from '../passes/shift-currents.js';
import { transformCurrent } from '../passes/current-transform.js';
import type { Pass } from '../passes/pass.js';
import { runAnn } from '../runtime/ann.js';
import { driveSnn } from '../runtime/batch-driver.js';
import { defaultThreads, type OrtOptions } from '../runtime/ort.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { maxRate } from '../snn/layer.js';

/** What light calibration corrects: the bias, v(0), or each channel's gain and then v(0). */
export type CalibrateMode = 'bias' | 'potential' | 'gain';

export const CALIB_RUN_MIN_IMAGES = 256;
export const GAIN_FIT_MIN_SAMPLES = 50;
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

/**
 * Which layers each simulation measures and corrects: in order from the input, `group` new
 * layers per simulation (default 1), each group measured after the corrections of the groups
 * before it. With `group` g each simulation runs up to the last layer of its group, so
 * calibration costs about L / (2 g) simulations of the network; the later layers of a group are
 * measured before the earlier ones are corrected, so their correction also absorbs what those
 * miss.
 *
 * Measured on ResNet-32 (docs/deep-networks.md) and not offered: correcting every layer from
 * one simulation of the whole network and iterating diverges (each layer absorbs what the
 * layers before it miss, which those correct in the same pass; the over-correction compounds
 * with depth); topping up each layer's v(0) shift with a second measurement makes it worse
 * (a shift beyond θ/2 lifts v(0) over the threshold, and every neuron of the channel, driven
 * or not, fires at the first step).
 */
export interface CalibrationSchedule {
  group: number;
}

/** The layers each calibration simulation measures, in order. */
export function calibrationRounds<T>(layers: readonly T[], schedule: CalibrationSchedule): T[][] {
  const g = Math.max(1, schedule.group);
  const groups: T[][] = [];
  for (let i = 0; i < layers.length; i += g) groups.push(layers.slice(i, i + g));
  return groups;
}

export async function calibrateLayers(
  model: SnnModel,
  calib: Dataset,
  timesteps: number,
  mode: CalibrateMode,
  run: CalibrateRun,
  schedule: CalibrationSchedule = { group: 1 },
): Promise<{ model: SnnModel; log: string[] }> {
  const layers = model.snn.nodes.filter((n): n is SpikeNode => n.op === 'spike');
  const used = calibRunImages(calib.count, layers.length);
  calib = limitDataset(calib, used);
  const targets = await targetRates(model, calib, layers, run);
  const shapes = inferShapes(model.snn);
  let snn = model.snn;
  const log: string[] = [];
  const rounds = calibrationRounds(layers, schedule);
  for (const [round, measured] of rounds.entries()) {
    run.onLayer?.(measured.at(-1)!.name, round, rounds.length);
    const last = measured.at(-1)!;
    const sums = measured.map((layer) => {
      const shape = shapes.get(layer.output)!;
      const per = sizeOf(shape);
      const channels = shape[0]!;
      return {
        layer,
        per,
        channels,
        plane: per / channels,
        missing: new Float64Array(channels),
        fit: mode === 'gain' || (mode === 'bias' && layer.neuron.reset === 'zero') ? new GainFit(channels) : null,
        target: targets.get(layer.name)!,
      };
    });
    await driveSnn(
      prefixGraph(snn, last),
      timesteps,
      { ...(run.runtime ? { runtime: run.runtime } : {}), inputScale: maxAbsInput(model.preprocess, snn.input.shape[0]!) },
      calib,
      model.preprocess,
      { threads: run.threads ?? defaultThreads(), batchSize: run.batchSize, capture: measured.map((l) => l.name) },
      // Batches arrive in dataset order: the sums are the same whatever the threads.
      (r, start, count) => {
        for (const { layer, per, channels, plane, missing, fit, target } of sums) {
          const spikes = r.counts.get(layer.name)!;
          const want = target.subarray(start * per, (start + count) * per);
          for (let i = 0; i < spikes.length; i++) {
            const c = Math.floor(i / plane) % channels;
            missing[c]! += want[i]! - spikes[i]! / timesteps;
            fit?.add(c, want[i]!, spikes[i]! / timesteps);
          }
        }
      },
    );
    for (const { layer, plane, missing, fit } of sums) {
      const samples = calib.count * plane;
      if (mode === 'gain') {
        const { gain, delta } = fit!.ratio(missing, samples);
        const scaled = transformCurrent(snn, layer.name, gain, new Float32Array(gain.length), 'gain');
        const shifted = shiftCurrents(layer.name, delta, 'potential', timesteps).run(scaled.graph);
        snn = shifted.graph;
        log.push(`calibrate-gain: '${layer.name}': ${summarizeGain(gain)} over ${gain.length} channels, current scaled in ${scaled.where}`, ...shifted.log.map((l) => `calibrate-gain: ${l}`));
        continue;
      }
      const delta = Float32Array.from(missing, (m) => m / samples);
      const result = fit ? fit.pass(layer.name, delta).run(snn) : shiftCurrents(layer.name, delta, mode, timesteps).run(snn);
      snn = result.graph;
      log.push(...result.log.map((l) => `calibrate-${mode}: ${l}`));
    }
  }
  if (used < model.conversion.calibSamples) log.push(`calibrate-${mode}: measured on the first ${used} calibration images (${layers.length} spiking layers)`);
  return { model: { ...model, snn }, log };
}

/** "rate gain alpha median m (lo..hi)" over the channels, alpha = 1 / gain. */
function summarizeGain(gain: Float32Array): string {
  const sorted = [...gain].map((g) => 1 / g).sort((a, b) => a - b);
  return `rate gain alpha median ${sorted[sorted.length >> 1]!.toFixed(3)} (${sorted[0]!.toFixed(3)}..${sorted.at(-1)!.toFixed(3)})`;
}

/**
 * Per-channel sums of measured rate against target rate over the samples the ANN drives
 * (target > 0), plus the measured rate over all samples. Two corrections read them: the
 * least-squares fit r = alpha t + beta (pass(), bias calibration of a layer that resets to
 * zero) and the ratio alpha = sum(rate) / sum(target) with the v(0) remainder (ratio(), gain
 * calibration).
 */
export class GainFit {
  private readonly n: Float64Array;
  private readonly t: Float64Array;
  private readonly r: Float64Array;
  private readonly tt: Float64Array;
  private readonly tr: Float64Array;
  private readonly rate: Float64Array;
  constructor(private readonly channels: number) {
    [this.n, this.t, this.r, this.tt, this.tr, this.rate] = [0, 1, 2, 3, 4, 5].map(() => new Float64Array(channels)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  }

  /** One sample of channel c, driven or not. */
  add(c: number, target: number, rate: number): void {
    this.rate[c]! += rate;
    if (!(target > 0)) return;
    this.n[c]!++;
    this.t[c]! += target;
    this.r[c]! += rate;
    this.tt[c]! += target * target;
    this.tr[c]! += target * rate;
  }

  /**
   * Gain calibration: gain 1 / alpha per channel and the v(0) rate shift that remains,
   * delta = (missing + rate (1 - 1 / alpha)) / samples = mean of (target - rate / alpha), where
   * `missing` is the sum of (target - rate) over all `samples` of the channel.
   */
  ratio(missing: Float64Array, samples: number): { gain: Float32Array; delta: Float32Array } {
    const gain = new Float32Array(this.channels);
    const delta = new Float32Array(this.channels);
    for (let c = 0; c < this.channels; c++) {
      const fitted = this.n[c]! >= GAIN_FIT_MIN_SAMPLES && this.t[c]! > 0 && this.r[c]! > 0;
      const alpha = fitted ? Math.min(2, Math.max(0.5, this.r[c]! / this.t[c]!)) : 1;
      gain[c] = 1 / alpha;
      delta[c] = (missing[c]! + this.rate[c]! * (1 - 1 / alpha)) / samples;
    }
    return { gain, delta };
  }

  /** z -> (z - beta) / alpha per channel; `meanMissing` (target - rate over all samples) where the fit has too few samples. */
  pass(layer: string, meanMissing: Float32Array): Pass {
    const gain = new Float32Array(this.channels);
    const offset = new Float32Array(this.channels);
    for (let c = 0; c < this.channels; c++) {
      const n = this.n[c]!;
      const mt = this.t[c]! / n;
      const mr = this.r[c]! / n;
      const vt = this.tt[c]! / n - mt * mt;
      if (n < GAIN_FIT_MIN_SAMPLES || !(vt > 1e-6)) {
        gain[c] = 1;
        offset[c] = meanMissing[c]!;
        continue;
      }
      const alpha = Math.min(2, Math.max(0.5, (this.tr[c]! / n - mt * mr) / vt));
      const beta = mr - alpha * mt;
      gain[c] = 1 / alpha;
      offset[c] = -beta / alpha;
    }
    return {
      name: 'calibrate-bias',
      run(graph: Graph) {
        const spike = graph.nodes.find((n): n is SpikeNode => n.op === 'spike' && n.name === layer)!;
        const theta = spike.neuron.vThreshold;
        const result = transformCurrent(graph, layer, gain, offset.map((o) => o * theta), 'bias');
        const meanAbs = offset.reduce((s, o) => s + Math.abs(o), 0) / offset.length;
        return {
          graph: result.graph,
          log: [`'${layer}': reset to zero: ${summarizeGain(gain)}, mean |offset| ${meanAbs.toFixed(4)} over ${gain.length} channels, weights and bias of ${result.where} corrected`],
        };
      },
    };
  }
}
