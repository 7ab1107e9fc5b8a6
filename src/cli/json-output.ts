/**
 * `--json <file>` means the same on every command that has it: the command's result as JSON,
 * written atomically to <file> beside the usual text on stdout; `--json -` prints the JSON on
 * stdout in place of the text (for pipes: `snnc inspect m.onnx --json - | jq .totals`).
 */
import type { Command } from 'commander';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RawOptions } from './options.js';
import type { OutputFile } from './outputs.js';
import { printJson, printOut } from './print.js';

/** The spelling of `--json` shared by every command (the options reference documents it once). */
export const JSON_FLAGS = '--json <file>';

/** Adds `--json <file>`; `what` names the record ("the report", "the f-I curve"). */
export function addJsonOption(cmd: Command, what: string): Command {
  return cmd.option(JSON_FLAGS, `also write ${what} as JSON to <file> ('-': print the JSON on stdout instead of the text)`);
}

/** The --json file as an output for checkOutputs (outputs.ts); none for '-' (stdout). */
export function jsonOutputs(o: RawOptions): OutputFile[] {
  return o.json !== undefined && o.json !== '-' ? [{ flag: '--json', file: String(o.json) }] : [];
}

/** Prints `text()` on stdout and writes `record()` as --json asks. */
export function emitResult(o: RawOptions, text: () => string, record: () => unknown): void {
  const json = (): string => JSON.stringify(record(), null, 2) + '\n';
  if (o.json === '-') {
    printJson(record());
    return;
  }
  printOut(text());
  if (o.json !== undefined) writeFileAtomic(String(o.json), json());
}
