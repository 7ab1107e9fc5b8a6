/**
 * Bias calibration under reset to zero (the --target nir profile) corrects each channel's gain
 * and bias: the fitted gain is at most 1 (a reset to zero loses the charge above the threshold),
 * and against the ANN's rates on held-back images the rate error falls well below that of the
 * uncalibrated conversion.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { convertAnn } from '../src/convert/convert.js';
import { DEFAULT_CONVERSION, type ConversionOptions } from '../src/model/conversion-settings.js';
import { DEFAULT_PREPROCESS } from '../src/model/dataset.js';
import { loadDataset } from '../src/io/data/registry.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { tempDir } from './helpers/idx.js';
import { meanRateError } from './helpers/rate-error.js';
import { CONVNET, convnetData } from './helpers/labelled.js';

let data: { data: string; calib: string };
let ann: LoadedAnn;
const T = 32;

beforeAll(async () => {
  data = await convnetData(tempDir(), 60, 120);
  ann = (await loadModel(CONVNET)) as LoadedAnn;
});

const nir = (over: Partial<ConversionOptions>): ConversionOptions => ({
  ...DEFAULT_CONVERSION,
  target: 'nir',
  reset: 'zero',
  vInitFraction: 0,
  vInitRandom: false,
  vInitAuto: false,
  maxpool: 'avg',
  percentile: 99,
  calibSamples: 120,
  calibTimesteps: T,
  ...over,
});

describe('bias calibration under reset to zero', () => {
  it('fits a gain of at most 1 per layer, below 1 in the first (the lost residual charge), and lowers the rate error on held-back images', async () => {
    const heldBack = loadDataset(data.data);
    const plain = await convertAnn(ann, DEFAULT_PREPROCESS, nir({ calibrate: 'none' }), loadDataset(data.calib), { batchSize: 60 });
    const calibrated = await convertAnn(ann, DEFAULT_PREPROCESS, nir({ calibrate: 'bias' }), loadDataset(data.calib), { batchSize: 60 });
    const fits = calibrated.log.filter((l) => l.startsWith('calibrate-bias: ') && /reset to zero: rate gain alpha median/.test(l));
    expect(fits.length).toBe(calibrated.model.snn.nodes.filter((n) => n.op === 'spike').length);
    const medians = fits.map((l) => Number(/alpha median ([\d.]+)/.exec(l)![1]));
    // The first layer sees a constant current: at z per step it fires every ceil(1/z) steps.
    expect(medians[0]).toBeLessThan(1);
    for (const m of medians) expect(m).toBeLessThanOrEqual(1);
    const before = await meanRateError(plain.model, heldBack, T);
    const after = await meanRateError(calibrated.model, heldBack, T);
    expect(after).toBeLessThan(0.8 * before);
  }, 300_000);
});
