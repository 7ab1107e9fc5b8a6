/** snnc merge <dirs...> --out <dir>: joins the folders of a sharded sweep into the sweep's folder. */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { UserError } from '../errors.js';
import { readTextFile } from '../util/read-file.js';
import { parseJsonText } from '../util/structured-text.js';
import { checkSweepFile, mergeSweeps } from '../eval/sweep.js';
import { maxMemoryOfCommand, type RawOptions } from './options.js';
import { checkOutputs } from './outputs.js';
import { printOut } from './print.js';
import { checkOutDir, RESULTS_JSON, SWEEP_FILES, writeSweepOutputs } from './sweep-output.js';

function resultsFile(dir: string): string {
  return fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? path.join(dir, RESULTS_JSON) : dir;
}

function readSweep(file: string, maxMemoryBytes: number) {
  return { file, sweep: checkSweepFile(parseJsonText(readTextFile(file, maxMemoryBytes), file), file) };
}

export function mergeCommand(): Command {
  return new Command('merge')
    .description('join the output folders of a sharded sweep (snnc sweep --shard i/n) into one')
    .argument('<dirs...>', 'sweep output folders (or their results.json files)')
    .option('--out <dir>', 'output folder (required; created if missing)')
    .option('--no-timing', 'leave wall-clock times out of results.json')
    .action(async (dirs: string[], o: RawOptions, cmd: Command) => {
      if (o.out === undefined) throw new UserError('--out <dir> is required');
      const out = String(o.out);
      checkOutDir(out);
      const files = dirs.map(resultsFile);
      // The output folder is replaced as a whole: it must hold none of the inputs.
      checkOutputs(SWEEP_FILES.map((f) => ({ flag: '--out', file: path.join(out, f) })), files, { inNewFolder: true });
      const maxMemoryBytes = maxMemoryOfCommand(cmd);
      const merged = mergeSweeps(files.map((f) => readSweep(f, maxMemoryBytes)), o.timing !== false);
      const written = await writeSweepOutputs(out, merged);
      printOut([`merged ${dirs.length} part${dirs.length === 1 ? '' : 's'}: ${merged.results.length} configurations`, `wrote ${written.map((f) => path.join(out, f)).join(', ')}`]);
    });
}
