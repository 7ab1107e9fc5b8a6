/** Quickselect percentiles against a sort-based reference (numpy's linear interpolation). */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { percentile } from '../src/util/percentile.js';

function sortedReference(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (rank - lo) * (s[hi]! - s[lo]!);
}

it('equals the sorted-array percentile with linear interpolation', () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 300 }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      (values, p) => {
        const data = Float32Array.from(values);
        const expected = sortedReference(Array.from(data), p);
        expect(percentile(data, p)).toBeCloseTo(expected, 3);
      },
    ),
    { numRuns: 1000, seed: 3 },
  );
});

it('handles duplicates, the maximum and the input order', () => {
  const data = Float32Array.of(5, 1, 1, 1, 9, 1);
  expect(percentile(data, 100)).toBe(9);
  expect(percentile(data, 50)).toBe(1);
  expect(Array.from(data)).toEqual([5, 1, 1, 1, 9, 1]);
  expect(percentile(new Float32Array(0), 50)).toBeNaN();
});
