/**
 * Seeded standard normal numbers for membrane noise: xoroshiro128+ (pure-rand) for uniforms,
 * Box-Muller for the normals. The same seed gives the same sequence on every machine.
 */
import { createRequire } from 'node:module';
import type * as PureRand from 'pure-rand';

// Required when a source is made, not imported at the top: every command loads this file, few
// draw noise (pure-rand's CommonJS build: the same generators).
let pureRand: typeof PureRand | undefined;

const TWO_POW_32 = 2 ** 32;

export class NormalSource {
  private readonly rng: PureRand.RandomGenerator;
  /** Box-Muller gives normals in pairs; the second one waits here. */
  private spare = 0;
  private hasSpare = false;

  constructor(readonly seed: number) {
    pureRand ??= createRequire(import.meta.url)('pure-rand') as typeof PureRand;
    this.rng = pureRand.xoroshiro128plus(seed | 0);
  }

  /**
   * Uniform in (0, 1) from one 32-bit draw, at the centres of 2^32 bins: never 0, so log is
   * finite; the normal's tails are cut at sqrt(2 ln 2^32) = 6.7 sigma (probability 2e-11).
   */
  private uniform(): number {
    return ((this.rng.unsafeNext() >>> 0) + 0.5) / TWO_POW_32;
  }

  /** One draw of N(0, 1). */
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    // Radius sqrt(-2 ln u1), angle 2 pi u2.
    const u1 = this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spare = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }
}
