// The CLI tests run bin/snnc, which loads dist/: compile once before the suite (the same
// build as `npm run build`, so that bin/snnc finds it up to date).
import { build } from '../../scripts/build.mjs';

export default function setup(): void {
  build();
}
