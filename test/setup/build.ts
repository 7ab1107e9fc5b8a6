// The CLI tests run bin/snnc, which loads dist/: compile once before the suite (TypeScript,
// and the WebAssembly kernels as `npm run build` does).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
// @ts-expect-error: a plain JavaScript build script without type declarations
import { buildWasm } from '../../scripts/build-wasm.mjs';

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
  (buildWasm as () => boolean)();
}
