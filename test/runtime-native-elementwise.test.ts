/**
 * The native residual add and per-channel affine map (native/elementwise.c) against the
 * float32 arithmetic written out per element: add = fround(a + b), affine = fround(s x + b)
 * computed in double as JavaScript does, bit for bit, on random values and on hand-picked ones
 * where a float32 multiply-then-add would round differently; and bad shapes throw.
 * Skipped with SNNC_NATIVE=0 or without a C compiler (the JavaScript kernels run then).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeKernels } from '../src/runtime/native/addon.js';
import { f32 } from './helpers/neuron-params.js';

const native = nativeKernels();

describe.skipIf(native === null)('native element-wise kernels', () => {
  it('add equals fround(a + b) element by element', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(f32(-1e3, 1e3), f32(-1e3, 1e3)), { minLength: 1, maxLength: 200 }), (pairs) => {
        const a = Float32Array.from(pairs, (p) => p[0]);
        const b = Float32Array.from(pairs, (p) => p[1]);
        const out = new Float32Array(a.length + 3).fill(7);
        native!.add(a, b, out, a.length);
        for (let i = 0; i < a.length; i++) expect(out[i]).toBe(Math.fround(a[i]! + b[i]!));
        expect([...out.subarray(a.length)]).toEqual([7, 7, 7]);
      }),
    );
  });

  it('affine equals fround(scale x + shift) per channel, rows x channels x plane', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (rows, channels, plane, seed) => {
        let s = seed;
        const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
        const x = Float32Array.from({ length: rows * channels * plane }, rand);
        const scale = Float32Array.from({ length: channels }, rand);
        const shift = Float32Array.from({ length: channels }, rand);
        const y = new Float32Array(x.length);
        native!.affine(x, y, rows, scale, shift);
        for (let i = 0; i < x.length; i++) {
          const c = Math.floor(i / plane) % channels;
          expect(y[i]).toBe(Math.fround(scale[c]! * x[i]! + shift[c]!));
        }
      }),
    );
  });

  it('affine rounds once from double: a case where rounding the product to float32 first differs', () => {
    // 1 + 2^-23 squared = 1 + 2^-22 + 2^-46: rounding the product to float32 drops 2^-46, so
    // adding -(1 + 2^-22) would give 0; in double the sum is 2^-46, which float32 holds exactly.
    const a = Math.fround(1 + 2 ** -23);
    const y = new Float32Array(1);
    native!.affine(Float32Array.of(a), y, 1, Float32Array.of(a), Float32Array.of(-(1 + 2 ** -22)));
    expect(y[0]).toBe(2 ** -46);
  });

  it('a shape that does not fit the arrays throws instead of reading outside them', () => {
    expect(() => native!.add(new Float32Array(3), new Float32Array(2), new Float32Array(3), 3)).toThrow(/shorter/);
    expect(() => native!.affine(new Float32Array(6), new Float32Array(5), 1, new Float32Array(2), new Float32Array(2))).toThrow(/invalid shape/);
    expect(() => native!.affine(new Float32Array(7), new Float32Array(7), 1, new Float32Array(2), new Float32Array(2))).toThrow(/invalid shape/);
  });
});
