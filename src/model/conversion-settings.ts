/**
 * What a conversion was asked to do: the settings a converted network carries in its manifest
 * (`conversion` in .snn.json) and in every eval report, and snnc's defaults for them.
 */

/** Calibration images `--v-init auto` simulates each candidate on (the first ones). */
export const VINIT_SEARCH_SAMPLES = 256;
/** The first step of the mean accuracy `--v-init auto` compares (the mean runs to calibTimesteps). */
export const VINIT_SEARCH_FIRST_STEP = 2;

/**
 * A network with at least this many spiking layers is deep: its conversion error accumulates
 * layer by layer, and the settings left at their defaults (`deepDefaults`) become the deep
 * network's (DEEP_DEFAULTS). The shipped MNIST CNNs have 3, CIFAR-10 ResNet-20 has 19.
 */
export const DEEP_NETWORK_LAYERS = 8;

/** Settings a deep network gets in place of the defaults it was left at (docs/deep-networks.md). */
export const DEEP_DEFAULTS = {
  /** One λ per channel. */
  channelwise: true,
  /** λ fitted (convert/lambda-fit.ts) for half the calibration run: each layer adds rounding to the noise it inherits. */
  percentileFit: true,
  fitTimestepsFraction: 0.5,
  /** Light calibration of each channel's gain and v(0), layer by layer (convert/calibrate.ts). */
  calibrate: 'gain',
  /**
   * With signed spikes a neuron's net count is its summed current quantised and rectified,
   * whatever the order (snn/neuron.ts): the network computes the ANN quantised to T levels,
   * which is the error λ fitted for the whole run minimises, and leaves no rate error in time
   * for calibration to correct.
   */
  signed: { fitTimestepsFraction: 1, calibrate: 'none' },
} as const;

/** The settings a conversion may change for a deep network, where the user left them at their defaults. */
export type DeepDefault = 'percentile' | 'channelwise' | 'calibrate';

export interface ConversionSettings {
  /** --target nir: only what a NIR file expresses (reset to zero, v(0) = 0, no refractory period). */
  target?: 'nir';
  /** Percentile of positive activations that sets lambda (the one chosen, with percentileAuto). */
  percentile: number;
  /** --percentile auto: the percentile was chosen by calibration accuracy at calibTimesteps. */
  percentileAuto: boolean;
  /** With percentileAuto: each candidate's SNN accuracy on the calibration images. */
  percentileSearch?: { percentile: number; accuracy: number }[];
  /** --percentile fit: lambda per layer (or channel) minimising clipping + rate quantisation at fitTimesteps (convert/lambda-fit.ts); percentile is then unused. */
  percentileFit?: boolean;
  /** The run length --percentile fit fits λ for (absent: calibTimesteps). */
  fitTimesteps?: number;
  /**
   * Settings left at snnc's defaults, which a deep network (DEEP_NETWORK_LAYERS spiking layers
   * or more) replaces by DEEP_DEFAULTS. In a stored conversion: those it replaced.
   */
  deepDefaults?: DeepDefault[];
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
  /**
   * --spikes signed: neurons may emit -1 spikes that take back a spike their integrated current
   * no longer supports (snn/neuron.ts); absent: binary spikes.
   */
  signedSpikes?: boolean;
  neuron: 'if' | 'lif';
  tauSteps?: number;
  readout: 'membrane' | 'spikes';
  maxpool: 'spiking' | 'avg';
  /** Light calibration after conversion (Li et al. 2021), at calibTimesteps steps. */
  calibrate: 'none' | 'bias' | 'potential' | 'gain';
  calibTimesteps: number;
  /** Layers calibrated for the first time per simulation (absent: 1; convert/calibrate.ts). */
  calibGroup?: number;
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
  deepDefaults: ['percentile', 'channelwise', 'calibrate'],
};
