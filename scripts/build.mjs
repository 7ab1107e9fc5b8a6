// Compiles src/ to dist/ with the project's TypeScript (tsconfig.json).
//
// npm runs no install scripts in this project (.npmrc: ignore-scripts=true, so that
// onnxruntime-node's postinstall never tries to download CUDA binaries from outside the npm
// registry), and with them goes the `prepare` hook that used to build dist/ at `npm ci`. So
// bin/snnc builds dist/ on its first run instead (ensureBuilt), and `npm run build` /
// the test setup rebuild it on demand (build).
//
// A build goes to a fresh folder beside dist/ that is renamed into place when complete, so a
// concurrent or interrupted run never sees a half-written dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Compiles src/ into a new folder and swaps it in for dist/. */
export function build() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const tmp = mkdtempSync(join(root, '.dist-build-'));
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--outDir', tmp], { stdio: 'inherit' });
    rmSync(dist, { recursive: true, force: true });
    renameSync(tmp, dist);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process may have renamed its complete build into place first: that one will do.
    if (existsSync(join(dist, 'cli', 'main.js'))) return;
    throw e;
  }
}

/** Builds dist/ once, when the entry point is missing (a fresh clone after `npm ci`). */
export function ensureBuilt() {
  if (existsSync(join(dist, 'cli', 'main.js'))) return;
  process.stderr.write('snnc: first run: compiling src/ to dist/ (once, about 20 s)\n');
  build();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) build();
