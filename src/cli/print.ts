/**
 * The one way snnc's commands print text on a terminal. Every line goes through oneLine()
 * (errors.ts), the single escaping function: control characters (escape sequences that set
 * the title, clear the screen or move the cursor, carriage returns that overwrite a line),
 * newlines inside a line and bidirectional overrides are written visibly as \xNN, \n or
 * \u{NNNN}, so no name read from a model, dataset or file can act on the terminal or forge an
 * output line. Renderers keep untrusted strings inside one line each (a table cell, a log
 * entry); printing then escapes whatever they hold. JSON output is escaped by JSON itself.
 */
import { oneLine } from '../errors.js';

/** No length limit on printed lines: a long table row stays whole. */
const escapeLine = (line: string): string => oneLine(line, Infinity);

/** Prints lines on stdout (a string is split at its newlines first). */
export function printOut(lines: string | readonly string[]): void {
  const all = typeof lines === 'string' ? lines.split('\n') : lines.flatMap((l) => l.split('\n'));
  process.stdout.write(all.map(escapeLine).join('\n') + '\n');
}

/** Prints a list of log entries each on its own line, indented: an entry holding a newline stays one line. */
export function logLines(entries: readonly string[], indent = '  '): string[] {
  return entries.map((e) => indent + escapeLine(e));
}

/** JSON on stdout (JSON escapes control characters itself). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** `snnc: warning: <message>` on stderr, one line. */
export function printWarning(message: string): void {
  process.stderr.write(`snnc: warning: ${escapeLine(message)}\n`);
}

/** `snnc: <message>` on stderr, one line (user errors). */
export function printError(message: string): void {
  process.stderr.write(`snnc: ${escapeLine(message)}\n`);
}

/** A multi-line report on stderr (an internal error's stack), each line escaped. */
export function printErrorBlock(text: string): void {
  process.stderr.write(text.split('\n').map(escapeLine).join('\n') + '\n');
}
