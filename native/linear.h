/* Event-driven linear kernels (linear.c); arrays as described there. */
#ifndef SNNC_LINEAR_H
#define SNNC_LINEAR_H
#include <stdint.h>

/*
 * Event-driven convolution of `rows` rows: x [rows][cIn][inPlane] float32 (dense, mostly
 * zeros), y [rows][cOut][outPlane]. For output position o, pairs[2 q], pairs[2 q + 1] for q in
 * pairStart[o] .. pairStart[o + 1] are the input position and the tap's weight offset
 * (tap cOutPad) of the taps inside the input, in increasing tap order. weights
 * [cIn][taps][cOutPad], or with levels > 0 (every input j / levels) `levels` product tables
 * of that size, table j - 1 the weights times j / levels rounded to float32. bias [cOutPad].
 */
void snnc_conv_events(const float *x, float *y, int rows, int cIn, int inPlane, int cOut, int cOutPad, int outPlane, int taps, const int32_t *pairStart, const int32_t *pairs, const float *weights, const float *bias, int levels);

/* Event-driven fully connected layer: x [rows][inPer], y [rows][outPer], weights [inPer][outPad], bias [outPad]. */
void snnc_dense_events(const float *x, float *y, int rows, int inPer, int outPer, int outPad, const float *weights, const float *bias);

#endif
