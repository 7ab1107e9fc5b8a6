import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (seconds of one worker on the 2-core machine, docs/testing.md),
 * longest first. Two workers take files in order: a long file that starts last leaves one core
 * idle while it finishes, so these start first. Without this list a fresh clone (no vitest cache
 * of durations) starts the largest files first, whatever they cost; the rest keep vitest's order.
 */
const LONGEST_FIRST = [
  'test/cli.test.ts',
  'test/nir-python.test.ts',
  'test/techniques-network.test.ts',
  'test/runtime-parallel.test.ts',
  'test/convert.test.ts',
  'test/sweep.test.ts',
  'test/fuzz/cli.test.ts',
  'test/cifar10.test.ts',
  'test/check.test.ts',
  'test/nir-cli.test.ts',
  'test/robustness/outputs.test.ts',
  'test/fuzz/snn-file.test.ts',
  'test/fuzz/onnx.test.ts',
  'test/neuron-lab-cli.test.ts',
  'test/robustness/bounds.test.ts',
  'test/sweep-config.test.ts',
  'test/nir-import.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const order = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = LONGEST_FIRST.indexOf(path.relative(f.project.config.root, f.moduleId).split(path.sep).join('/'));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the files not listed keep vitest's order.
    return order.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/external/**'],
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // onnxruntime sessions are heavy: run files one or two at a time on this 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    // Each worker process runs its files one after the other with the modules it has loaded
    // (onnxruntime, TF.js, the simulator's WebAssembly) instead of a fresh process per file:
    // a fifth less CPU on the short files. Tests therefore leave no global state behind (they
    // restore what they patch, e.g. helpers/cli-in-process.ts).
    isolate: false,
    sequence: { sequencer: LongestFirst },
  },
});
