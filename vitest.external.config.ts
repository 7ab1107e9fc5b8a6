import { defineConfig } from 'vitest/config';

// `npm run test:external`: the real third-party models in ../shared/realmodels (or
// $SNNC_REALMODELS). Slow (conversions and MNIST evaluations), so kept out of `npm test`.
export default defineConfig({
  test: {
    include: ['test/external/**/*.test.ts'],
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // One file at a time: every test already keeps both cores busy.
    maxWorkers: 1,
    minWorkers: 1,
  },
});
