#!/usr/bin/env node
// Builds the WebAssembly SIMD kernels of the spiking runtime from source (wasm/kernels.ts,
// AssemblyScript) into dist/wasm/kernels.wasm with the assemblyscript compiler from npm.
// Without the file the runtime runs its JavaScript kernels (same results, slower).
//   node scripts/build-wasm.mjs          (also: import { buildWasm } from './build-wasm.mjs')
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WASM_SOURCE = path.join(root, 'wasm', 'kernels.ts');
export const WASM_OUTPUT = path.join(root, 'dist', 'wasm', 'kernels.wasm');

/** Compiles the kernels unless the output is newer than the source (force: always). */
export function buildWasm({ force = false } = {}) {
  if (!force && fs.existsSync(WASM_OUTPUT) && fs.statSync(WASM_OUTPUT).mtimeMs >= fs.statSync(WASM_SOURCE).mtimeMs) return false;
  const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
  fs.mkdirSync(path.dirname(WASM_OUTPUT), { recursive: true });
  execFileSync(
    process.execPath,
    [asc, WASM_SOURCE, '-O3', '--enable', 'simd', '--runtime', 'stub', '--noAssert', '--importMemory', '--initialMemory', '1', '-o', WASM_OUTPUT],
    { stdio: 'inherit', cwd: root },
  );
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildWasm({ force: process.argv.includes('--force') });
