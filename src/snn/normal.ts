/**
 * Seeded standard normal numbers for membrane noise: xoroshiro128+ (pure-rand) for uniforms,
 * Box-Muller for the normals. The same seed gives the same sequence on every machine.
 */
import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';

const TWO_POW_53 = 2 ** 53;

export class NormalSource {
  private readonly rng: RandomGenerator;
  /** Box-Muller gives normals in pairs; the second one waits here. */
  private spare = 0;
  private hasSpare = false;

  constructor(readonly seed: number) {
    this.rng = xoroshiro128plus(seed | 0);
  }

  /** Uniform in [0, 1) with 53 random bits: 26 + 27 bits of two 32-bit draws. */
  private uniform(): number {
    const hi = this.rng.unsafeNext() >>> 6; // 26 bits
    const lo = this.rng.unsafeNext() >>> 5; // 27 bits
    return (hi * 2 ** 27 + lo) / TWO_POW_53;
  }

  /** One draw of N(0, 1). */
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    // u1 in (0, 1] so that log(u1) is finite: radius sqrt(-2 ln u1), angle 2 pi u2.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spare = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }
}
