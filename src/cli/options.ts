/**
 * Options shared by the commands that read data and convert or run networks: their flags,
 * parsing (every bad value is a one-line user error naming the flag), and defaults.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { DEFAULT_PREPROCESS, type Preprocess } from '../io/data/dataset.js';
import type { DataOptions } from '../io/data/registry.js';
import type { ConversionSettings } from '../io/snn-file.js';
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
    .option('--data <spec>', 'dataset: mnist, mnist:train, fashion-mnist[:train], idx:<images>,<labels>', 'mnist')
    .option('--data-dir <dir>', 'folder holding the named dataset\'s IDX files')
    .option('--limit <n>', 'evaluate the first n samples only')
    .option('--batch <n>', 'samples per batch (the simulation may cut it further to bound memory)', '100')
    .option('--threads <n>', 'onnxruntime threads (default: the cores available)')
    .option('--input-scale <x>', 'factor applied to raw pixel values (default 1/255)')
    .option('--input-mean <list>', 'per-channel mean subtracted after scaling (default 0)')
    .option('--input-std <list>', 'per-channel std dividing after the mean (default 1)');
}

export function addConversionOptions(cmd: Command): Command {
  return cmd
    .option('--percentile <p>', 'percentile of positive ReLU activations mapped to the highest rate (100 = max)', '99.99')
    .option('--channelwise', 'one scale per channel instead of per layer')
    .option('--calib-samples <n>', 'calibration images', '1000')
    .option('--calib-data <spec>', 'calibration dataset (default: the training split of --data)')
    .option('--t-ref <k>', 'refractory period in timesteps: at most one spike every k+1 steps', '0')
    .option('--reset <mode>', 'reset after a spike: subtract (v -= threshold) or zero', 'subtract')
    .option('--v-init <f>', 'initial membrane potential as a fraction of the threshold', '0.5')
    .option('--calibrate <mode>', 'after conversion, correct mean rate errors per channel: none, bias or potential', 'none')
    .option('--calib-timesteps <T>', 'timesteps of the calibration runs (default: --timesteps, or 32)');
}

/** Conversion flags that make no sense for an already converted network. */
export const CONVERSION_FLAGS = ['percentile', 'channelwise', 'calibSamples', 'calibData', 'tRef', 'reset', 'vInit', 'calibrate', 'calibTimesteps'] as const;

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
  if (name === 'mnist' || name === 'fashion-mnist') return `${name}:train`;
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
    percentile: parseNumber('--percentile', String(o.percentile), { min: 0, max: 100 }),
    channelwise: o.channelwise === true,
    calibSamples: parseNumber('--calib-samples', String(o.calibSamples), { min: 1, integer: true }),
    calibData,
    reset: parseChoice('--reset', String(o.reset), ['subtract', 'zero'] as const),
    tRefSteps: parseNumber('--t-ref', String(o.tRef), { min: 0, max: 1000, integer: true }),
    vInitFraction: parseNumber('--v-init', String(o.vInit), { min: 0, max: 1 }),
    neuron: 'if',
    calibrate: parseChoice('--calibrate', String(o.calibrate), ['none', 'bias', 'potential'] as const),
    calibTimesteps: o.calibTimesteps === undefined ? timesteps : parseTimesteps(o.calibTimesteps, '--calib-timesteps'),
  };
}

export function parseTimesteps(value: unknown, flag = '--timesteps'): number {
  return parseNumber(flag, String(value), { min: 1, max: 100000, integer: true });
}
