// The CLI tests run bin/snnc, which loads dist/: compile once before the suite (TypeScript,
// and the WebAssembly kernels as `npm run build:wasm` does).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import pkg from '../../package.json' with { type: 'json' };

export default function setup(): void {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
  const asc = require.resolve('assemblyscript/bin/asc.js');
  const args = pkg.scripts['build:wasm'].split(' ').slice(1);
  execFileSync(process.execPath, [asc, ...args], { stdio: 'inherit' });
}
