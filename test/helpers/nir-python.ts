/**
 * NIR's reference Python library (nir.read / nir.write, ../shared/python/nir or
 * $SNNC_NIR_PYTHON) driven through test/python/nir_tool.py. Needs a python3 with numpy and
 * h5py (Debian: python3-numpy, python3-h5py, installed by .ci/run); `nirPython()` says why not
 * when they are missing, and the suites that need it skip with that reason.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const TOOL = path.resolve('test/python/nir_tool.py');
const NIR_DIR = process.env.SNNC_NIR_PYTHON ?? path.resolve('..', 'shared', 'python');

/** The python that can run nir_tool.py, or the reason there is none. */
export function nirPython(): { python: string } | { missing: string } {
  if (!fs.existsSync(path.join(NIR_DIR, 'nir', '__init__.py'))) return { missing: `NIR's reference library not found at ${NIR_DIR}/nir (set SNNC_NIR_PYTHON)` };
  const candidates = [process.env.SNNC_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import numpy, h5py'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { missing: `no python3 with numpy and h5py among ${candidates.join(', ')} (apt-get install python3-numpy python3-h5py)` };
}

export function runNirTool(python: string, args: string[]): unknown {
  const out = execFileSync(python, [TOOL, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, SNNC_NIR_PYTHON: NIR_DIR },
  });
  return JSON.parse(out);
}

/** What `nir_tool.py describe` prints: the graph as nir.read builds it. */
export interface NirDescription {
  nodes: Record<
    string,
    {
      type: string;
      params: Record<string, { shape: number[]; values: number[] | null; sum: number | null }>;
      input_type: Record<string, number[]>;
      output_type: Record<string, number[]>;
      metadata: string[];
    }
  >;
  edges: [string, string][];
  metadata: string[];
}

export interface NirSimulation {
  /** [step][sample][output]. */
  outputs: number[][][];
  /** Spike counts over all steps per spiking node: [sample][neuron]. */
  counts: Record<string, number[][]>;
}
