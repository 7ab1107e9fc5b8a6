/**
 * The one way snnc checks a file it parsed (.snn.json manifests, baselines, sweep records,
 * config files): the expected shape as data, built from these rules. A rule returns the first
 * problem as "path: expected ..., got ..." or null; checkAgainst turns it into a user error
 * naming the file. Values are shown as written (NaN and Infinity too, which JSON.stringify
 * would show as null), shortened and escaped.
 *
 * Rules iterate over arrays and recurse only as deep as the schema itself is written, so a
 * value nested deeper than its schema is refused at the first level that does not fit; the
 * parsers (util/structured-text.ts) bound the nesting of the text before any of this runs.
 */
import { oneLine, UserError } from '../errors.js';

/** Checks `value` found at `path`; returns a problem or null. */
export type Rule = (value: unknown, path: string) => string | null;

/** A value as it reads in a message: JSON for data, NaN / Infinity by name, at most 60 characters. */
export function show(value: unknown): string {
  let s: string;
  if (typeof value === 'number') s = String(value);
  else if (Array.isArray(value)) s = `a list of ${value.length}`;
  else if (typeof value === 'object' && value !== null) s = `a mapping with ${Object.keys(value).length} field(s)`;
  else if (value === undefined) s = 'nothing';
  else s = JSON.stringify(value) ?? String(value);
  return oneLine(s.length > 60 ? `${s.slice(0, 57)}...` : s, 80);
}

const fail = (path: string, expected: string, value: unknown): string => `${path}: expected ${expected}, got ${show(value)}`;

export const str: Rule = (v, p) => (typeof v === 'string' ? null : fail(p, 'a string', v));
export const bool: Rule = (v, p) => (typeof v === 'boolean' ? null : fail(p, 'true or false', v));
export const anything: Rule = () => null;

export function num(opts: { min?: number; max?: number; above?: number; integer?: boolean } = {}): Rule {
  const parts = [opts.integer ? 'an integer' : 'a finite number'];
  if (opts.min !== undefined) parts.push(`>= ${opts.min}`);
  if (opts.above !== undefined) parts.push(`> ${opts.above}`);
  if (opts.max !== undefined) parts.push(`<= ${opts.max}`);
  const expected = parts.join(' ');
  return (v, p) => {
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!opts.integer || Number.isSafeInteger(v)) &&
      (opts.min === undefined || v >= opts.min) &&
      (opts.above === undefined || v > opts.above) &&
      (opts.max === undefined || v <= opts.max);
    return ok ? null : fail(p, expected, v);
  };
}

/** Exactly this value (a format name, a schema version: `"1"` is not 1). */
export function literal(expected: string | number | boolean): Rule {
  return (v, p) => (v === expected ? null : fail(p, JSON.stringify(expected), v));
}

export function oneOf(...choices: string[]): Rule {
  return (v, p) => (typeof v === 'string' && choices.includes(v) ? null : fail(p, `one of ${choices.join(', ')}`, v));
}

export function nullable(rule: Rule): Rule {
  return (v, p) => (v === null ? null : rule(v, p));
}

/** The first of `rules` that accepts the value; `expected` says what they accept together. */
export function either(expected: string, ...rules: Rule[]): Rule {
  return (v, p) => (rules.some((r) => r(v, p) === null) ? null : fail(p, expected, v));
}

export function arrayOf(item: Rule, length?: { min?: number; max?: number; exactly?: number }): Rule {
  return (v, p) => {
    if (!Array.isArray(v)) return fail(p, 'a list', v);
    if (length?.exactly !== undefined && v.length !== length.exactly) return fail(p, `${length.exactly} values`, v);
    if (length?.min !== undefined && v.length < length.min) return fail(p, `at least ${length.min} values`, v);
    if (length?.max !== undefined && v.length > length.max) return fail(p, `at most ${length.max} values`, v);
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${p}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
}

/** A mapping whose every value matches `value` (option names to values, params of a configuration). */
export function mapOf(value: Rule): Rule {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'a mapping', v);
    for (const [k, x] of Object.entries(v)) {
      const problem = value(x, `${p}.${oneLine(k, 60)}`);
      if (problem) return problem;
    }
    return null;
  };
}

/**
 * A mapping with these fields; a key ending in '?' is optional. Unknown extra fields are
 * ignored, or refused with `strict` (a baseline, where a misspelt condition would silently
 * check nothing).
 */
export function object(fields: Record<string, Rule>, options: { strict?: boolean } = {}): Rule {
  const names = Object.keys(fields).map((k) => (k.endsWith('?') ? k.slice(0, -1) : k));
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'a mapping', v);
    const o = v as Record<string, unknown>;
    if (options.strict) {
      const unknown = Object.keys(o).find((k) => !names.includes(k));
      if (unknown !== undefined) return `${p}: unknown field '${oneLine(unknown, 60)}' (expected ${names.join(', ')})`;
    }
    for (const [key, rule] of Object.entries(fields)) {
      const optional = key.endsWith('?');
      const name = optional ? key.slice(0, -1) : key;
      if (!Object.hasOwn(o, name) || o[name] === undefined) {
        if (optional) continue;
        return `${p}.${name}: missing`;
      }
      const problem = rule(o[name], `${p}.${name}`);
      if (problem) return problem;
    }
    return null;
  };
}

/**
 * Checks `value` against `rule` and returns it typed, or throws one user error naming
 * `file` and the first field that does not fit ("results.json: results[3].ann.accuracy:
 * expected a finite number, got NaN").
 */
export function checkAgainst<T>(rule: Rule, value: unknown, file: string): T {
  const problem = rule(value, '$');
  if (problem) throw new UserError(`${file}: ${problem.replace(/^\$\.?/, '') || 'the whole file'}`.replace(/: : /, ': '));
  return value as T;
}
