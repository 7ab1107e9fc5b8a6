/** Counter-based uniforms: reproducible, independent of the order of draws, and uniform. */
import { expect, it } from 'vitest';
import { mixKey, uniformAt } from '../src/snn/counter-random.js';

it('is a pure function of seed, stream and index', () => {
  const key = mixKey(7, 3, 11);
  const forward = Array.from({ length: 100 }, (_, i) => uniformAt(key, i));
  const backward = Array.from({ length: 100 }, (_, i) => uniformAt(key, 99 - i)).reverse();
  expect(forward).toEqual(backward);
  expect(uniformAt(mixKey(8, 3, 11), 5)).not.toBe(uniformAt(key, 5));
  expect(uniformAt(mixKey(7, 4, 11), 5)).not.toBe(uniformAt(key, 5));
});

it('is uniform on [0, 1): chi-square over 20 bins and the first two moments', () => {
  const n = 200_000;
  const bins = new Array(20).fill(0);
  let sum = 0;
  let sumSq = 0;
  const key = mixKey(1, 2);
  for (let i = 0; i < n; i++) {
    const u = uniformAt(key, i);
    expect(u >= 0 && u < 1).toBe(true);
    bins[Math.floor(u * 20)]++;
    sum += u;
    sumSq += u * u;
  }
  const expected = n / 20;
  const chi2 = bins.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
  // 19 degrees of freedom: the 99.9% quantile is 43.8.
  expect(chi2).toBeLessThan(43.8);
  expect(sum / n).toBeCloseTo(0.5, 2);
  expect(sumSq / n).toBeCloseTo(1 / 3, 2);
});

it('has no correlation between neighbouring indices or neighbouring streams', () => {
  const n = 100_000;
  let c1 = 0;
  let c2 = 0;
  const a = mixKey(5, 0);
  const b = mixKey(5, 1);
  for (let i = 0; i < n; i++) {
    c1 += (uniformAt(a, i) - 0.5) * (uniformAt(a, i + 1) - 0.5);
    c2 += (uniformAt(a, i) - 0.5) * (uniformAt(b, i) - 0.5);
  }
  // Correlation of independent uniforms: sd of the mean product is (1/12)/sqrt(n) ~ 2.6e-4.
  expect(Math.abs(c1 / n)).toBeLessThan(0.002);
  expect(Math.abs(c2 / n)).toBeLessThan(0.002);
});
