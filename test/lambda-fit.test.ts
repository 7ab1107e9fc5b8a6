/**
 * --percentile fit: the λ chosen must minimise E(λ) = mean (a − λ)+² + λ² / (12 r_max² T²) over
 * the sample values, checked against the same expression evaluated by brute force at every
 * candidate (O(n²), independent of the running sums), and behave as the error model says:
 * longer runs clip less, and without quantisation error nothing is clipped.
 */
import { describe, expect, it } from 'vitest';
import { fitLambda } from '../src/convert/lambda-fit.js';
import { randomArray } from './helpers/ort.js';

function bruteForce(values: Float32Array, T: number, rMax: number): number {
  const error = (lambda: number) => {
    let clipped = 0;
    for (const a of values) if (a > lambda) clipped += (a - lambda) ** 2;
    return clipped / values.length + (lambda * lambda) / (12 * rMax * rMax * T * T);
  };
  let best = Infinity;
  let arg = NaN;
  for (const v of values) {
    const e = error(v);
    if (e < best || (e === best && v > arg)) [best, arg] = [e, v];
  }
  return arg;
}

describe('fitLambda', () => {
  it.each([
    [1, 1],
    [4, 1],
    [32, 1],
    [32, 0.5],
    [128, 1],
  ])('is the brute-force minimiser of the clipping + quantisation error at T=%i, r_max=%f', (T, rMax) => {
    // A heavy tail: most activations small, a few large (as ReLU outputs are).
    const u = randomArray(400, 7 + T, 0, 1);
    const values = Float32Array.from(u, (x) => -Math.log(1 - x * 0.999));
    expect(fitLambda(values, T, rMax)).toBeCloseTo(bruteForce(values, T, rMax), 6);
  });

  it('clips less for longer runs, and keeps the maximum when T is huge', () => {
    const values = Float32Array.from(randomArray(2000, 3, 0, 1), (x) => x ** 3 * 5);
    const lambdas = [4, 16, 64, 256].map((T) => fitLambda(values, T, 1));
    for (let i = 1; i < lambdas.length; i++) expect(lambdas[i]!).toBeGreaterThanOrEqual(lambdas[i - 1]!);
    expect(fitLambda(values, 1e9, 1)).toBe(Math.max(...values));
    expect(lambdas[0]!).toBeLessThan(Math.max(...values));
  });

  it('gives NaN for no samples (the caller then keeps λ = 1)', () => {
    expect(fitLambda(new Float32Array(0), 32, 1)).toBeNaN();
  });
});
