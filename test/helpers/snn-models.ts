/** Converted networks for tests: fixtures calibrated on seeded random images, or graphs built by hand. */
import { DEFAULT_CONVERSION } from '../../src/model/conversion-settings.js';
import { DEFAULT_PREPROCESS, type Dataset } from '../../src/model/dataset.js';
import { loadModel } from '../../src/convert/load-model.js';
import type { LoadedAnn } from '../../src/io/load-model.js';
import type { SnnModel } from '../../src/model/snn-model.js';
import type { Graph, NeuronLayerParams } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/tensor.js';
import { convertPipeline } from '../../src/passes/pipelines.js';
import { runPasses } from '../../src/passes/pass.js';
import { collectActivationStats } from '../../src/runtime/activation-stats.js';
import { randomArray } from './ort.js';

/** IF neurons NIR expresses exactly: reset to zero, no refractory period, v(0) = 0. */
export const IF_EXACT: NeuronLayerParams = { model: 'if', vThreshold: 1, vReset: 0, reset: 'zero', vInitFraction: 0, tRefSteps: 0 };
/** snnc's defaults: reset by subtraction, v(0) = theta / 2. */
export const IF_DEFAULT: NeuronLayerParams = { ...IF_EXACT, reset: 'subtract', vInitFraction: 0.5 };

export function randomImages(shape: number[], count: number, seed: number): Dataset {
  const pixels = Uint8Array.from(randomArray(count * sizeOf(shape), seed, 0, 256), Math.floor);
  return { name: 'random', count, sampleShape: shape, pixels, labels: new Uint8Array(count), numClasses: 0 };
}

export function modelOf(snn: Graph, ann: Graph, neuron: NeuronLayerParams): SnnModel {
  return {
    source: { model: snn.name, sha256: '0'.repeat(64) },
    preprocess: DEFAULT_PREPROCESS,
    conversion: {
      ...DEFAULT_CONVERSION,
      vInitAuto: false,
      percentile: 99.9,
      calibSamples: 100,
      calibData: 'random',
      reset: neuron.reset,
      tRefSteps: neuron.tRefSteps,
      vInitFraction: neuron.vInitFraction,
      neuron: neuron.model,
      ...(neuron.tauSteps === undefined ? {} : { tauSteps: neuron.tauSteps }),
    },
    calibration: [],
    snn,
    ann,
  };
}

/** Converts an ONNX fixture with lambda from 100 seeded random images of `shape`. */
export async function convertFixture(file: string, shape: number[], neuron: NeuronLayerParams): Promise<SnnModel> {
  const ann = (await loadModel(file)) as LoadedAnn;
  const calib = randomImages(shape, 100, 7);
  const stats = await collectActivationStats(ann.graph, calib, DEFAULT_PREPROCESS, { percentile: 99.9, channelwise: false }, { batchSize: 50 });
  return modelOf(runPasses(ann.graph, convertPipeline(stats, neuron)).graph, ann.graph, neuron);
}
