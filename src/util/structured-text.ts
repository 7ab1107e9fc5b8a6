/**
 * Parsing JSON and YAML from untrusted files. Both bound the nesting depth before anything
 * recurses over the parsed value: JSON text is scanned for its bracket depth first (an
 * iterative scan, so 100,000 '[' cost nothing); YAML's brackets and its indentation (block
 * nesting) are scanned the same way, it is parsed (a stack overflow in the library is caught
 * here too) and its value then measured iteratively. The YAML library's
 * warnings (an unresolved tag, ...) become one line each, given to `warn`, instead of its
 * multi-line echo of the file.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { oneLine, UserError } from '../errors.js';

let yamlModule: typeof Yaml | undefined;

/**
 * The yaml library, loaded on first use: every command imports this file, few read YAML, and
 * its 70 modules cost a CLI start about 40 ms of CPU. (It is CommonJS, so require() loads it
 * synchronously.)
 */
export function yaml(): typeof Yaml {
  return (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}

/** Deepest nesting of lists and mappings any snnc file needs (a .snn.json reaches about 6). */
export const MAX_NESTING = 64;

/** The bracket depth of JSON text, not counting brackets inside strings; stops past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** The nesting depth of a parsed value, measured without recursion. */
export function valueDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > deepest) {
      deepest = d + 1;
      if (deepest > limit) return deepest;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, d + 1]);
  }
  return deepest;
}

const tooDeep = (file: string) => new UserError(`${file}: nested more than ${MAX_NESTING} levels deep`);

/** JSON.parse with the depth bounded first; `file` names the file in errors. */
export function parseJsonText(text: string, file: string): unknown {
  if (jsonDepth(text, MAX_NESTING) > MAX_NESTING) throw tooDeep(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${oneLine((err as Error).message, 200)})`);
  }
}

/**
 * The longest indentation of a YAML line, counting the block indicators of compact nesting
 * ('- - - 1' nests three lists on one line) as indentation; a scan without regular
 * expressions (the yaml library compiles patterns from indentation widths, and a 200,000-wide
 * one exhausts memory).
 */
export function yamlIndent(text: string, limit = Infinity): number {
  let widest = 0;
  let width = 0;
  let atStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      atStart = true;
      width = 0;
    } else if (atStart && (c === 0x20 || c === 0x09 || c === 0x2d || c === 0x3f || c === 0x3a)) {
      width++;
      if (width > widest) {
        widest = width;
        if (widest > limit) return widest;
      }
    } else atStart = false;
  }
  return widest;
}

/** Widest indentation a YAML file snnc reads may have (MAX_NESTING levels of a few columns). */
export const MAX_YAML_INDENT = 4 * MAX_NESTING;

/** YAML (a superset of JSON) with the depth bounded; each library warning is one line for `warn`. */
export function parseYamlText(text: string, file: string, warn: (message: string) => void): unknown {
  if (jsonDepth(text, MAX_NESTING) > MAX_NESTING || yamlIndent(text, MAX_YAML_INDENT) > MAX_YAML_INDENT) throw tooDeep(file);
  let value: unknown;
  try {
    const doc = yaml().parseDocument(text, { uniqueKeys: true, prettyErrors: false });
    const [first] = doc.errors;
    if (first) throw /call stack/i.test(first.message) ? tooDeep(file) : first;
    for (const w of doc.warnings) warn(`${file}: ${yamlProblem(w)}${lineOf(text, w.pos?.[0])}`);
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof RangeError || /call stack/i.test(String((err as Error)?.message))) throw tooDeep(file);
    if (err instanceof UserError) throw err;
    const at = err instanceof Error && 'pos' in err ? lineOf(text, (err as Yaml.YAMLParseError).pos?.[0], (line) => ` at line ${line}`) : '';
    throw new UserError(`${file}: not valid YAML${at} (${yamlProblem(err)})`);
  }
  if (valueDepth(value, MAX_NESTING) > MAX_NESTING) throw tooDeep(file);
  return value;
}

/** The line number (from 1) of a character offset in `text`, formatted by `format`; '' without an offset. */
function lineOf(text: string, offset: number | undefined, format = (line: number) => ` (line ${line})`): string {
  if (offset === undefined || !(offset >= 0)) return '';
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return format(line);
}

/** A yaml library error or warning in one line: its first line, with the line number. */
function yamlProblem(err: unknown): string {
  return oneLine(String((err as Error)?.message ?? err).split('\n')[0]!, 200);
}
