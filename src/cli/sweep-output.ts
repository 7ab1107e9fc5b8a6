/** Writing a sweep's folder (sweep and merge): results.json, results.csv, accuracy.svg, pareto.svg. */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { SweepFile } from '../eval/sweep.js';
import { sweepAccuracySpec, sweepParetoSpec } from '../report/charts.js';
import { sweepCsv } from '../report/csv.js';
import { renderSvg } from '../report/svg.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const RESULTS_JSON = 'results.json';

/** Checks before long work that `dir` is a folder or can be created (its nearest existing ancestor is a folder). */
export function checkOutDir(dir: string): void {
  let p = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(p)) {
      if (!fs.statSync(p).isDirectory()) throw new UserError(`--out ${dir}: ${p} is not a folder`);
      return;
    }
    const parent = path.dirname(p);
    if (parent === p) return;
    p = parent;
  }
}

/** Lists of scalars (accuracy by step, grid values) on one line each; the rest indented. */
const SCALAR = String.raw`(?:-?\d[\d.eE+-]*|null|true|false|"(?:[^"\\\n]|\\.)*")`;
const SCALAR_LIST = new RegExp(String.raw`\[\n\s+(${SCALAR}(?:,\n\s+${SCALAR})*)\n\s*\]`, 'g');

export function sweepJson(sweep: SweepFile): string {
  return JSON.stringify(sweep, null, 2).replace(SCALAR_LIST, (_, items: string) => `[${items.split(/,\n\s+/).join(', ')}]`) + '\n';
}

/** Writes the folder's files (results.json last: a folder with one holds a complete sweep); returns their names. */
export async function writeSweepOutputs(dir: string, sweep: SweepFile): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [['results.csv', sweepCsv(sweep)]];
  if (sweep.results.length > 0) {
    files.push(['accuracy.svg', await renderSvg(sweepAccuracySpec(sweep), 'accuracy')]);
    files.push(['pareto.svg', await renderSvg(sweepParetoSpec(sweep), 'pareto')]);
  }
  files.push([RESULTS_JSON, sweepJson(sweep)]);
  for (const [name, text] of files) writeFileAtomic(path.join(dir, name), text);
  return files.map(([name]) => name);
}
