/* Element-wise kernels of the spiking runtime (elementwise.c); arguments as for add and affine of src/runtime/kernels.ts. */
#ifndef SNNC_ELEMENTWISE_H
#define SNNC_ELEMENTWISE_H
#include <stddef.h>

void snnc_add(const float *a, const float *b, float *out, size_t n);
void snnc_affine(const float *x, float *y, size_t rows, size_t channels, size_t plane, const float *scale, const float *shift);

#endif
