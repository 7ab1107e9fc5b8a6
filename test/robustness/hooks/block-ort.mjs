// Test instrument, preloaded with `node --import`: the N-th onnxruntime run (SNNC_TEST_BLOCK_AT,
// default 3) prints a marker on stderr and never finishes, so that a test can signal a process
// that is provably in the middle of an evaluation. Nothing of this ships with snnc.
import { createRequire } from 'node:module';

const ort = createRequire(`${process.cwd()}/`)('onnxruntime-node');
const run = ort.InferenceSession.prototype.run;
const blockAt = Number(process.env.SNNC_TEST_BLOCK_AT ?? 3);
let calls = 0;
ort.InferenceSession.prototype.run = function (...args) {
  if (++calls !== blockAt) return run.apply(this, args);
  process.stderr.write('test-hook: blocked inside an onnxruntime run\n');
  // A pending timer keeps the process alive, as a long run would.
  return new Promise((resolve) => setTimeout(resolve, 10 * 60_000));
};
