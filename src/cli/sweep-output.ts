/** Writing a sweep's folder (sweep and merge): results.json, results.csv, accuracy.svg, pareto.svg. */
import type { SweepFile } from '../eval/sweep.js';
import { sweepAccuracySpec, sweepParetoSpec } from '../report/charts.js';
import { sweepCsv } from '../report/csv.js';
import { renderSvg } from '../report/svg.js';
import { checkFolderOutput, replaceFolderAtomic } from '../util/atomic-write.js';

export const RESULTS_JSON = 'results.json';

/** Every file a sweep folder holds; a folder holding anything else is not replaced. */
export const SWEEP_FILES = [RESULTS_JSON, 'results.csv', 'accuracy.svg', 'pareto.svg'];

/** Checks before long work that `dir` can be (re)written as a sweep folder. */
export function checkOutDir(dir: string): void {
  checkFolderOutput(dir, SWEEP_FILES);
}

/** Lists of scalars (accuracy by step, grid values) on one line each; the rest indented. */
const SCALAR = String.raw`(?:-?\d[\d.eE+-]*|null|true|false|"(?:[^"\\\n]|\\.)*")`;
const SCALAR_LIST = new RegExp(String.raw`\[\n\s+(${SCALAR}(?:,\n\s+${SCALAR})*)\n\s*\]`, 'g');

export function sweepJson(sweep: SweepFile): string {
  return JSON.stringify(sweep, null, 2).replace(SCALAR_LIST, (_, items: string) => `[${items.split(/,\n\s+/).join(', ')}]`) + '\n';
}

/**
 * Writes the sweep folder as a whole (util/atomic-write.ts replaceFolderAtomic): a reused
 * folder never keeps a previous sweep's charts beside a new results.json, and a failure
 * part-way leaves the previous sweep whole. Returns the names written.
 */
export async function writeSweepOutputs(dir: string, sweep: SweepFile): Promise<string[]> {
  const files: { name: string; data: string }[] = [{ name: 'results.csv', data: sweepCsv(sweep) }];
  if (sweep.results.length > 0) {
    files.push({ name: 'accuracy.svg', data: await renderSvg(sweepAccuracySpec(sweep), 'accuracy') });
    files.push({ name: 'pareto.svg', data: await renderSvg(sweepParetoSpec(sweep), 'pareto') });
  }
  files.push({ name: RESULTS_JSON, data: sweepJson(sweep) });
  replaceFolderAtomic(dir, files, SWEEP_FILES);
  return files.map((f) => f.name);
}
