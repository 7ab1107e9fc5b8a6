/**
 * Outputs never replace inputs. Before any work, every command lists the files it will write
 * (flag and name) and the files it reads (the model, a converted network's weights file, a
 * TF.js model's shards, IDX data, --config, --baseline), and refuses:
 *   an output that is an input    (`eval m.onnx --json m.onnx`, `eval c.snn.json --json c.snn.bin`)
 *   two outputs that are one file (`--json x --plot x`: one would be lost)
 * Files are compared by resolved real path (symbolic links, `./`, `..` and hard links to the
 * same inode all count as the same file); devices such as /dev/null or /dev/stdout may be
 * named more than once and are not inputs of interest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { oneLine, UserError } from '../errors.js';
import { resolveDataFiles, type DataOptions } from '../io/data/registry.js';
import { parseJsonText } from '../util/structured-text.js';
import { checkWritable } from '../util/atomic-write.js';

export interface OutputFile {
  /** The flag that names it, e.g. '--json'; for a file written beside another, the flag and a note. */
  flag: string;
  file: string;
}

/** Identity of a file: device and inode when it exists, else its resolved path. */
function identity(file: string): string | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return null;
    return `inode:${st.dev}:${st.ino}`;
  } catch {
    // Not there yet: its folder's real path and its name.
  }
  const abs = path.resolve(file);
  let dir = path.dirname(abs);
  try {
    dir = fs.realpathSync(dir);
  } catch {
    // The folder is missing too: checkWritable says so.
  }
  return `path:${path.join(dir, path.basename(abs))}`;
}

/**
 * Refuses outputs that would replace an input or each other, and outputs that cannot be
 * written at all (util/atomic-write.ts checkWritable), before any work.
 */
export function checkOutputs(outputs: readonly OutputFile[], inputs: readonly string[], options: { inNewFolder?: boolean } = {}): void {
  const inputIds = new Map<string, string>();
  for (const file of inputs) {
    const id = identity(file);
    if (id !== null && !inputIds.has(id)) inputIds.set(id, file);
  }
  const seen = new Map<string, OutputFile>();
  for (const out of outputs) {
    // Files of an output folder (sweep, merge) are checked with the folder (checkOutDir).
    if (!options.inNewFolder) checkWritable(out.file, out.flag);
    const id = identity(out.file);
    if (id === null) continue;
    const input = inputIds.get(id);
    if (input !== undefined) {
      const same = input === out.file ? '' : ` (the same file as ${oneLine(input)})`;
      throw new UserError(`${out.flag} ${out.file}: is an input of this command${same}; writing it would replace it`);
    }
    const other = seen.get(id);
    if (other) throw new UserError(`${out.flag} ${out.file}: ${other.flag} names the same file; one output would be lost`);
    seen.set(id, out);
  }
}

/** Reads a JSON file if it is small and well-formed; null otherwise (the loader reports why later). */
function peekJson(file: string): Record<string, unknown> | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 64 << 20) return null;
    const value = parseJsonText(fs.readFileSync(file, 'utf8'), file);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The files a model is read from: the file, a converted network's weights, a TF.js model's weight shards. */
export function modelInputs(file: string): string[] {
  let main = file;
  try {
    if (fs.statSync(file).isDirectory()) main = path.join(file, 'model.json');
  } catch {
    return [file];
  }
  const files = [main];
  if (!main.endsWith('.json')) return files;
  const json = peekJson(main);
  if (!json) return files;
  const dir = path.dirname(main);
  const weights = json.weights as { file?: unknown } | undefined;
  if (typeof weights?.file === 'string') files.push(path.join(dir, weights.file));
  if (Array.isArray(json.weightsManifest)) {
    for (const group of json.weightsManifest.slice(0, 1000) as { paths?: unknown }[]) {
      if (Array.isArray(group?.paths)) for (const p of group.paths.slice(0, 1000)) if (typeof p === 'string') files.push(path.join(dir, p));
    }
  }
  return files;
}

/** The files a dataset spec reads (none for a spec that does not resolve: loading says why). */
export function dataInputs(spec: string | undefined, options: DataOptions): string[] {
  if (spec === undefined) return [];
  try {
    const { images, labels } = resolveDataFiles(spec, options);
    return [images, labels];
  } catch {
    return [];
  }
}

/** What a model command reads: the model's files, --data, --calib-data and --config. */
export function commandInputs(model: string, o: { data?: unknown; calibData?: unknown; dataDir?: unknown; config?: unknown }): string[] {
  const options: DataOptions = o.dataDir === undefined ? {} : { dataDir: String(o.dataDir) };
  return [
    ...modelInputs(model),
    ...dataInputs(o.data === undefined ? undefined : String(o.data), options),
    ...dataInputs(o.calibData === undefined ? undefined : String(o.calibData), options),
    ...(o.config === undefined ? [] : [String(o.config)]),
  ];
}
