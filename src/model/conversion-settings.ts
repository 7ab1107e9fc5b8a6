/**
 * What a conversion was asked to do: the settings a converted network carries in its manifest
 * (`conversion` in .snn.json) and in every eval report, and snnc's defaults for them.
 */

/** Calibration images `--v-init auto` simulates each candidate on (the first ones). */
export const VINIT_SEARCH_SAMPLES = 256;
/** The first step of the mean accuracy `--v-init auto` compares (the mean runs to calibTimesteps). */
export const VINIT_SEARCH_FIRST_STEP = 2;

export interface ConversionSettings {
  /** --target nir: only what a NIR file expresses (reset to zero, v(0) = 0, no refractory period). */
  target?: 'nir';
  /** Percentile of positive activations that sets lambda (the one chosen, with percentileAuto). */
  percentile: number;
  /** --percentile auto: the percentile was chosen by calibration accuracy at calibTimesteps. */
  percentileAuto: boolean;
  /** With percentileAuto: each candidate's SNN accuracy on the calibration images. */
  percentileSearch?: { percentile: number; accuracy: number }[];
  /** --percentile fit: lambda per layer (or channel) minimising clipping + rate quantisation at calibTimesteps (convert/lambda-fit.ts); percentile is then unused. */
  percentileFit?: boolean;
  channelwise: boolean;
  calibSamples: number;
  calibData: string;
  reset: 'subtract' | 'zero';
  tRefSteps: number;
  vInitFraction: number;
  /** v(0) uniform in [0, threshold) per neuron and sample, seeded by the run. */
  vInitRandom: boolean;
  /** --v-init auto: θ/2 or random was chosen by calibration accuracy over steps 2..calibTimesteps. */
  vInitAuto?: boolean;
  /** With vInitAuto: each candidate's SNN accuracy on the first calibration images, averaged over steps 2..calibTimesteps. */
  vInitSearch?: { vInit: '0.5' | 'random'; accuracy: number }[];
  predistort: boolean;
  neuron: 'if' | 'lif';
  tauSteps?: number;
  readout: 'membrane' | 'spikes';
  maxpool: 'spiking' | 'avg';
  /** Light calibration after conversion (Li et al. 2021), at calibTimesteps steps. */
  calibrate: 'none' | 'bias' | 'potential';
  calibTimesteps: number;
}

/**
 * What a conversion is asked to do. The calibration images are passed as a Dataset beside it;
 * the stored settings name them (calibData) and count those used (calibSamples).
 */
export type ConversionOptions = Omit<ConversionSettings, 'calibData'>;

/** snnc's conversion defaults; the CLI's flag defaults are these. */
export const DEFAULT_CONVERSION: ConversionOptions = {
  percentile: 99.99,
  percentileAuto: false,
  channelwise: false,
  calibSamples: 1000,
  reset: 'subtract',
  tRefSteps: 0,
  vInitFraction: 0.5,
  vInitRandom: false,
  vInitAuto: true,
  predistort: false,
  neuron: 'if',
  readout: 'membrane',
  maxpool: 'spiking',
  calibrate: 'none',
  calibTimesteps: 32,
};
