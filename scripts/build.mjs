// Compiles src/ to dist/ with the project's TypeScript (tsconfig.json), the WebAssembly
// kernels of wasm/ into dist/wasm/ (scripts/build-wasm.mjs), and the native kernels of native/
// into dist/native/ where the machine has a C compiler (scripts/build-native.mjs).
//
// npm runs no install scripts in this project (.npmrc: ignore-scripts=true, so that
// onnxruntime-node's postinstall never tries to download CUDA binaries from outside the npm
// registry), and with them goes the `prepare` hook that used to build dist/ at `npm ci`. So
// bin/snnc builds dist/ on its first run, and again whenever a source is newer than the last
// build (ensureBuilt); `npm run build` and the test setup build it unconditionally (build).
//
// A build goes to a fresh folder beside dist/ that is renamed into place when complete, so a
// concurrent or interrupted run never sees a half-written dist/. dist/.build-stamp marks a
// complete build; its mtime is the time the build started.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative, NATIVE_SOURCE_DIR } from './build-native.mjs';
import { buildWasm, WASM_SOURCE_DIR } from './build-wasm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');

/** Compiles src/ into a new folder and swaps it in for dist/. */
export function build() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const tmp = mkdtempSync(join(root, '.dist-build-'));
  try {
    // Written first: a source saved during the build is newer than the stamp, so it is rebuilt.
    writeFileSync(join(tmp, '.build-stamp'), `${new Date().toISOString()}\n`);
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--outDir', tmp], { stdio: 'inherit' });
    buildWasm({ outDir: tmp });
    // Never fails: without a compiler the runtime keeps to the WebAssembly kernels.
    buildNative({ outDir: tmp });
    rmSync(dist, { recursive: true, force: true });
    renameSync(tmp, dist);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process may have renamed its complete build of the same sources into place first:
    // that one will do. An older dist/ will not: its build stamp predates a source.
    if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSourceMs()) return;
    throw e;
  }
}

/** Newest modification time (ms) of the files that go into a build. */
function newestSourceMs() {
  let newest = statSync(join(root, 'tsconfig.json')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|c|h)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  walk(WASM_SOURCE_DIR);
  walk(NATIVE_SOURCE_DIR);
  return newest;
}

/** Builds dist/ when it is missing (a fresh clone after `npm ci`) or older than a source. */
export function ensureBuilt() {
  // A copy without sources (only dist/) runs what it has.
  if (!existsSync(join(root, 'src')) || !existsSync(join(root, 'tsconfig.json'))) return;
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSourceMs()) return;
  process.stderr.write(existsSync(stamp) ? 'snnc: sources changed: compiling src/ to dist/\n' : 'snnc: first run: compiling src/ to dist/ (once, about 20 s)\n');
  build();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) build();
