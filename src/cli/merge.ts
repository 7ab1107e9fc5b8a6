/** snnc merge <dirs...> --out <dir>: joins the folders of a sharded sweep into the sweep's folder. */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { UserError } from '../errors.js';
import { readTextFile } from '../util/read-file.js';
import { checkSweepFile, mergeSweeps } from '../eval/sweep.js';
import type { RawOptions } from './options.js';
import { checkOutDir, RESULTS_JSON, writeSweepOutputs } from './sweep-output.js';

function readSweep(dir: string) {
  const file = fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? path.join(dir, RESULTS_JSON) : dir;
  const text = readTextFile(file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return { file, sweep: checkSweepFile(data, file) };
}

export function mergeCommand(): Command {
  return new Command('merge')
    .description('join the output folders of a sharded sweep (snnc sweep --shard i/n) into one')
    .argument('<dirs...>', 'sweep output folders (or their results.json files)')
    .option('--out <dir>', 'output folder (required; created if missing)')
    .option('--no-timing', 'leave wall-clock times out of results.json')
    .action(async (dirs: string[], o: RawOptions) => {
      if (o.out === undefined) throw new UserError('--out <dir> is required');
      const out = String(o.out);
      checkOutDir(out);
      const merged = mergeSweeps(dirs.map(readSweep), o.timing !== false);
      const written = await writeSweepOutputs(out, merged);
      process.stdout.write(
        `merged ${dirs.length} part${dirs.length === 1 ? '' : 's'}: ${merged.results.length} configurations\nwrote ${written.map((f) => path.join(out, f)).join(', ')}\n`,
      );
    });
}
