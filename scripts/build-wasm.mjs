#!/usr/bin/env node
// Builds the WebAssembly SIMD kernels of the spiking runtime from source (wasm/kernels.ts,
// AssemblyScript) into <outDir>/wasm/kernels.wasm (default dist/) with the assemblyscript
// compiler from npm. scripts/build.mjs calls it for every build of dist/. Without the file the
// runtime runs its JavaScript kernels (same results, slower).
//   node scripts/build-wasm.mjs          (also: import { buildWasm } from './build-wasm.mjs')
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WASM_SOURCE = path.join(root, 'wasm', 'kernels.ts');
export const WASM_SOURCE_DIR = path.join(root, 'wasm');

/** Compiles the kernels into <outDir>/wasm/kernels.wasm. */
export function buildWasm({ outDir = path.join(root, 'dist') } = {}) {
  const output = path.join(outDir, 'wasm', 'kernels.wasm');
  const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
  fs.mkdirSync(path.dirname(output), { recursive: true });
  execFileSync(
    process.execPath,
    [asc, WASM_SOURCE, '-O3', '--enable', 'simd', '--runtime', 'stub', '--noAssert', '--importMemory', '--initialMemory', '1', '-o', output],
    { stdio: 'inherit', cwd: root },
  );
  return output;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildWasm();
