// The CLI tests run bin/snnc, which loads dist/: build it before the suite when it is missing
// or older than a source (the rule bin/snnc itself applies, so that it finds dist/ up to date).
// A dist/ built from the same sources (`npm run build`, or the previous run) is kept: the build
// is about 10 s of one core before any test starts. `npm run build` forces one.
import { ensureBuilt } from '../../scripts/build.mjs';

export default function setup(): void {
  ensureBuilt();
}
