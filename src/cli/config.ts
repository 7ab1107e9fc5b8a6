/**
 * --config <file>: option values from a JSON or YAML file, for every command that declares
 * --config. Keys are the long flag names (`calib-samples`; camelCase `calibSamples` too); a
 * switch takes true or false, and `--no-x` is `x: false`; a list may be a YAML list (joined
 * with commas, as the flag takes it); a map becomes repeated `key=values` flags (--grid).
 *
 * Values are handed to commander as if typed on the command line, so they go through the same
 * parsing as the flag. Flags given on the command line override the file; a repeatable flag
 * (--grid) keeps the file's entries first and the command line's after them.
 */
import path from 'node:path';
import type { Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { readTextFile } from '../util/read-file.js';
import { arrayOf, bool, checkAgainst, either, mapOf, num, show, str, type Rule } from '../util/schema.js';
import { parseJsonText, parseYamlText } from '../util/structured-text.js';
import { maxMemoryOfCommand } from './options.js';
import { printWarning } from './print.js';

export function addConfigOption(cmd: Command): Command {
  return cmd.option('--config <file>', 'read options from a JSON or YAML file (flags override it)');
}

/**
 * Reads a JSON (by extension .json) or YAML file, nesting bounded (util/structured-text.ts);
 * `flag` names it in errors; YAML warnings are printed as one line each.
 */
export function readJsonOrYaml(file: string, flag: string, maxMemoryBytes: number, warn: (message: string) => void = printWarning): unknown {
  const where = `${flag} ${file}`;
  try {
    const text = readTextFile(file, maxMemoryBytes);
    return path.extname(file).toLowerCase() === '.json' ? parseJsonText(text, file) : parseYamlText(text, file, (w) => warn(`${flag} ${w}`));
  } catch (err) {
    if (err instanceof UserError && !err.message.startsWith(where)) throw new UserError(`${flag} ${err.message}`);
    throw err;
  }
}

const scalar = either('a number, a string or true/false', num(), str, bool);
/** A config file: option names to a switch, a number, a string, a list of them, or a map of them (--grid). */
const CONFIG: Rule = mapOf(either('true or false, a number, a string, a list of them, or a mapping of them', scalar, arrayOf(scalar), mapOf(either('a value or a list of values', scalar, arrayOf(scalar)))));

/** Reads a config file: a JSON or YAML mapping from option names to values. */
export function readConfigFile(file: string, maxMemoryBytes: number): Record<string, unknown> {
  return checkAgainst<Record<string, unknown>>(CONFIG, readJsonOrYaml(file, '--config', maxMemoryBytes), `--config ${file}`);
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The option a config key names, and whether the key is the negated form's positive name (`timing` for --no-timing). */
function findOption(cmd: Command, key: string): { option: Option; positiveOfNegated: boolean } | null {
  for (const option of cmd.options) {
    if (option.long === `--${key}`) return { option, positiveOfNegated: false };
    if (option.negate && option.long === `--no-${key}`) return { option, positiveOfNegated: true };
  }
  return null;
}

/** One value as the flag's text: numbers and strings as typed, lists joined by commas. */
function flagText(file: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(',');
  throw new UserError(`--config ${file}: ${key}: expected a number, a string or a list of them, got ${show(value)}`);
}

/** A map {k: [v1, v2]} as the texts of repeated flags, `k=v1,v2` (`;` between values that hold commas). */
function mapTexts(file: string, key: string, value: Record<string, unknown>): string[] {
  return Object.entries(value).map(([k, v]) => {
    const values = (Array.isArray(v) ? v : [v]).map((x) => flagText(file, `${key}.${k}`, x));
    return `${k}=${values.join(values.some((x) => x.includes(',')) ? ';' : ',')}`;
  });
}

function parsed(option: Option, text: string, previous: unknown, file: string, key: string): unknown {
  if (option.argChoices && !option.argChoices.includes(text)) {
    throw new UserError(`--config ${file}: ${key}: '${text}' is not one of ${option.argChoices.join(', ')}`);
  }
  if (!option.parseArg) return text;
  try {
    return option.parseArg(text, previous);
  } catch (err) {
    throw new UserError(`--config ${file}: ${key}: ${(err as Error).message.replace(/^error: /, '')}`);
  }
}

/** Applies the command's --config file, if any, to its option values (a preAction hook). */
export function applyConfig(cmd: Command): void {
  const file = cmd.getOptionValue('config') as string | undefined;
  if (file === undefined || !cmd.options.some((o) => o.long === '--config')) return;
  for (const [rawKey, value] of Object.entries(readConfigFile(file, maxMemoryOfCommand(cmd)))) {
    const key = kebab(rawKey);
    const found = key === 'config' ? null : findOption(cmd, key);
    if (!found) throw new UserError(`--config ${file}: unknown option '${rawKey}' for snnc ${cmd.name()} (see snnc ${cmd.name()} --help)`);
    const { option, positiveOfNegated } = found;
    const attr = option.attributeName();
    const source = cmd.getOptionValueSource(attr);
    // commander's isBoolean() is false for --no-x switches.
    if (option.isBoolean() || option.negate) {
      if (typeof value !== 'boolean') throw new UserError(`--config ${file}: ${rawKey}: expected true or false, got ${show(value)}`);
      if (source === 'cli') continue;
      // --no-x stores x = false; `x: v` means x = v, `no-x: v` means x = !v.
      cmd.setOptionValueWithSource(attr, option.negate && !positiveOfNegated ? !value : value, 'config');
      continue;
    }
    if (Array.isArray(option.defaultValue)) {
      // Repeatable flag: the file's entries, then the command line's.
      const texts =
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? mapTexts(file, rawKey, value as Record<string, unknown>)
          : (Array.isArray(value) ? value : [value]).map((v) => flagText(file, rawKey, v));
      const fromFile = texts.reduce<unknown>((prev, text) => parsed(option, text, prev, file, rawKey), option.defaultValue);
      const fromCli = source === 'cli' ? (cmd.getOptionValue(attr) as unknown[]) : [];
      cmd.setOptionValueWithSource(attr, [...(fromFile as unknown[]), ...fromCli], source === 'cli' ? 'cli' : 'config');
      continue;
    }
    if (source === 'cli') continue;
    cmd.setOptionValueWithSource(attr, parsed(option, flagText(file, rawKey, value), option.defaultValue, file, rawKey), 'config');
  }
}
