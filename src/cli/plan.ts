/**
 * The typed plan of a command that converts or runs a network, parsed once from its flags
 * before any work: every bad value fails at once, and the core is handed numbers, records
 * and Dataset objects, never flag text.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { DataOptions } from '../io/data/registry.js';
import { holdsSpikingNetwork } from '../io/load-model.js';
import type { ConversionOptions } from '../model/conversion-settings.js';
import type { Preprocess } from '../model/dataset.js';
import {
  calibSource,
  CONVERSION_FLAGS,
  conversionOptions,
  dataOptions,
  maxMemoryOfCommand,
  preprocessFlags,
  runOptions,
  simulationOptions,
  type CalibSource,
  type RawOptions,
  type SimulationOptions,
} from './options.js';

export interface PreparePlan {
  /** The model file as given. */
  file: string;
  /** --data (the evaluation data, and the default calibration data's name) and --data-dir. */
  data: { spec: string; options: DataOptions };
  run: { batchSize: number; threads: number; limit?: number; maxMemoryBytes: number };
  /** How an ANN is converted; null for a converted network, which takes no conversion flag. */
  conversion: { options: ConversionOptions; calib: CalibSource } | null;
  /** The preprocessing flags given, over the default or what a converted network stores. */
  preprocess: Partial<Preprocess>;
  /** Conversion flags given on the command line or in --config, as --names (refused for a spiking network). */
  conversionFlagsGiven: string[];
  /** The run the conversion is calibrated for, in commands that simulate. */
  simulation?: SimulationOptions;
}

export interface EvalPlan extends PreparePlan {
  simulation: SimulationOptions;
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A spiking network takes no conversion flag: one given is a user error, not silently ignored. */
export function refuseConversionFlags(file: string, given: readonly string[]): void {
  if (given.length > 0) throw new UserError(`${file} is already converted: ${given.join(', ')} would have no effect; convert the ANN again instead`);
}

/** The plan of convert and export; `simulation`: the run that eval, check and sweep calibrate for. */
export function planPrepare(file: string, cmd: Command, o: RawOptions, simulation?: SimulationOptions): PreparePlan {
  const maxMemoryBytes = maxMemoryOfCommand(cmd);
  const run = { ...runOptions(o), maxMemoryBytes };
  const given = CONVERSION_FLAGS.filter((k) => ['cli', 'config'].includes(cmd.getOptionValueSource(k) ?? '')).map((k) => `--${kebab(k)}`);
  // Known to be spiking by its name: refused before the flags' values are parsed.
  if (holdsSpikingNetwork(file)) refuseConversionFlags(file, given);
  const conversion = holdsSpikingNetwork(file) ? null : { options: conversionOptions(o, simulation?.timesteps), calib: calibSource(o) };
  return {
    file,
    data: { spec: String(o.data), options: { ...dataOptions(o), maxMemoryBytes } },
    run,
    conversion,
    preprocess: preprocessFlags(o),
    conversionFlagsGiven: given,
    ...(simulation ? { simulation } : {}),
  };
}

export function planEval(file: string, cmd: Command, o: RawOptions): EvalPlan {
  const simulation = simulationOptions(o);
  return { ...planPrepare(file, cmd, o, simulation), simulation };
}
