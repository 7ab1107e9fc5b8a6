/*
 * Element-wise kernels on [rows][channels][plane] float32 data: the residual add and the
 * per-channel affine map (a join's shortcut rescaled to the join's λ). Results equal the
 * JavaScript kernels of src/runtime/kernels.ts bit for bit:
 *
 *   add:     out = a + b                  one float32 rounding (the double sum of two floats is exact)
 *   affine:  y = fround(a * x + b)        in double, as JavaScript computes it: a * x is exact in
 *                                         double (24 + 24 bits), the sum is rounded once to double
 *                                         and once to float32
 *
 * No `restrict`: an output may be one of the inputs (in place) without undefined behaviour.
 */
#include "elementwise.h"

void snnc_add(const float *a, const float *b, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void snnc_affine(const float *x, float *y, size_t rows, size_t channels, size_t plane, const float *scale, const float *shift) {
  for (size_t r = 0; r < rows; r++) {
    for (size_t c = 0; c < channels; c++) {
      const size_t base = (r * channels + c) * plane;
      const double a = scale[c], b = shift[c];
      for (size_t i = 0; i < plane; i++) y[base + i] = (float)(a * (double)x[base + i] + b);
    }
  }
}
