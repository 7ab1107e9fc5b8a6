/*
 * Event-driven linear kernels in C (compiled by scripts/build-native.mjs with the machine's
 * compiler, -O3 -march=native): a convolution (group 1) and a fully connected layer whose cost
 * grows with the number of non-zero inputs, for the layers of a spiking network that see
 * spikes or pooled spikes (mostly zeros). The same sums as wasm/linear.ts, in the same order,
 * wider: 64 output channels per block in four 16-lane vectors (one AVX-512 register each).
 *
 * Output-stationary: the outputs of one position are accumulated in registers over the
 * non-zero inputs that reach it, then stored once. Weights are channel-last and padded to a
 * multiple of 16 output channels ([cIn][tap][cOutPad] for the convolution, [in][outPad] for the
 * dense layer), so one input adds a contiguous weight row. Each output is
 *   y = (sum over its non-zero inputs x, in increasing (tap, channel) order, of x w) + bias
 * in float32, one rounding per multiply and per add (built with -ffp-contract=off: no fused
 * multiply-add), so a row's outputs never depend on the batch, chunk or thread, and equal the
 * WebAssembly kernels' bit for bit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linear.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

typedef float v16 __attribute__((vector_size(64)));
/* The same vector at any 4-byte alignment (weight rows start at 16-float boundaries, outputs not). */
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef int32_t i16u __attribute__((vector_size(64), aligned(4)));

#define LOAD(p) (*(const v16u *)(p))

/* Stores acc + bias for output channels ch .. ch + 15 at y + ch outStride (channels >= cOut skipped). */
static inline void store_strided(v16 acc, const float *bias, int ch, int cOut, float *y, int outStride) {
  v16 sum = acc + LOAD(bias + ch);
  int n = cOut - ch < 16 ? cOut - ch : 16;
  for (int l = 0; l < n; l++) y[(size_t)(ch + l) * outStride] = sum[l];
}

/*
 * dst[j][i] = src[i][j] for i < rows, j < cols (both at most 16): one block of a transpose,
 * rows of src `srcStride` floats apart, rows of dst `dstStride` apart.
 */
static inline void transpose_block(const float *src, size_t srcStride, int rows, int cols, float *dst, size_t dstStride) {
#if defined(__AVX512F__)
  const __mmask16 colMask = (__mmask16)((1u << cols) - 1), rowMask = (__mmask16)((1u << rows) - 1);
  __m512 r[16], t[16];
#pragma GCC unroll 16
  /* Masked loads and stores only where a block is partial: they are slow on some CPUs. */
  for (int i = 0; i < 16; i++) r[i] = i >= rows ? _mm512_setzero_ps() : cols == 16 ? _mm512_loadu_ps(src + i * srcStride) : _mm512_maskz_loadu_ps(colMask, src + i * srcStride);
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2) t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]), t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
#pragma GCC unroll 4
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
#pragma GCC unroll 2
  for (int i = 0; i < 16; i += 8) {
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      t[i + k] = _mm512_shuffle_f32x4(r[i + k], r[i + 4 + k], 0x88);
      t[i + 4 + k] = _mm512_shuffle_f32x4(r[i + k], r[i + 4 + k], 0xdd);
    }
  }
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++) {
    r[k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0x88);
    r[8 + k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0xdd);
  }
  if (rows == 16)
    for (int j = 0; j < cols; j++) _mm512_storeu_ps(dst + j * dstStride, r[j]);
  else
    for (int j = 0; j < cols; j++) _mm512_mask_storeu_ps(dst + j * dstStride, rowMask, r[j]);
#else
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) dst[j * dstStride + i] = src[i * srcStride + j];
#endif
}

/*
 * Lists the non-zero entries of one [channels][plane] row by position, channels in increasing
 * order: the entries of position p are (weight offset, value) at posStart[p] .. posStart[p + 1].
 * The weight offset is c channelStride, plus (j - 1) tableStride when levels > 0 (x = j /
 * levels: table j - 1 holds the weights times x). off and val need 16 entries of slack.
 */
static void list_by_position(const float *x, int channels, int plane, int channelStride, int levels, int tableStride, float *xt, int32_t *posStart, int32_t *off, float *val) {
  /* xt [plane][stride]: the row channel-last, channels padded with zeros to a multiple of 16. */
  const int stride = (channels + 15) / 16 * 16;
  for (int c0 = 0; c0 < stride; c0 += 16) {
    const int rows = channels - c0 < 16 ? channels - c0 : 16;
    for (int p0 = 0; p0 < plane; p0 += 16) transpose_block(x + (size_t)c0 * plane + p0, plane, rows, plane - p0 < 16 ? plane - p0 : 16, xt + (size_t)p0 * stride + c0, stride);
  }
  int n = 0;
#if defined(__AVX512F__)
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512 scale = _mm512_set1_ps((float)levels);
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i table = _mm512_set1_epi32(tableStride);
  const __m512i last = _mm512_set1_epi32(levels > 0 ? levels - 1 : 0);
  for (int p = 0; p < plane; p++) {
    posStart[p] = n;
    for (int c0 = 0; c0 < stride; c0 += 16) {
      const __m512 v = _mm512_loadu_ps(xt + (size_t)p * stride + c0);
      const __mmask16 m = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
      __m512i o = _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(c0)), _mm512_set1_epi32(channelStride));
      if (levels > 0) {
        /* Table j - 1 for x = j / levels; clamped so that a value off the levels never reads outside the tables. */
        const __m512i j = _mm512_min_epi32(_mm512_max_epi32(_mm512_sub_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, scale)), one), _mm512_setzero_si512()), last);
        o = _mm512_add_epi32(o, _mm512_mullo_epi32(j, table));
      }
      _mm512_storeu_si512(off + n, _mm512_maskz_compress_epi32(m, o));
      _mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(m, v));
      n += __builtin_popcount(m);
    }
  }
#else
  const float scale = (float)levels;
  for (int p = 0; p < plane; p++) {
    posStart[p] = n;
    for (int c = 0; c < channels; c++) {
      const float v = xt[(size_t)p * stride + c];
      int32_t j = levels > 0 ? (int32_t)__builtin_nearbyintf(v * scale) - 1 : 0;
      j = j < 0 ? 0 : j >= levels ? (levels > 0 ? levels - 1 : 0) : j;
      off[n] = c * channelStride + j * tableStride;
      val[n] = v;
      n += v != 0.0f;
    }
  }
#endif
  posStart[plane] = n;
}

/* Output positions per tile: accumulated channel-last in a tile, then stored channel-first. */
#define TILE 16

/*
 * The events reaching output positions o0 .. o1 - 1, in (tap, channel) order, as weight
 * offsets (tap included) and values at flat[start[o - o0]] .. flat[start[o - o0 + 1]].
 * Copies whole 16-entry blocks (the entries past a position's count are overwritten next).
 */
static void gather_tile(int o0, int o1, const int32_t *pairStart, const int32_t *pairs, const int32_t *posStart, const int32_t *off, const float *val, int32_t *start, int32_t *flatOff, float *flatVal, int withValues) {
  int n = 0;
  for (int o = o0; o < o1; o++) {
    start[o - o0] = n;
    for (int q = pairStart[o]; q < pairStart[o + 1]; q++) {
      const int p = pairs[2 * q];
      const int32_t tap = pairs[2 * q + 1];
      const int k0 = posStart[p], count = posStart[p + 1] - k0;
      for (int b = 0; b < count; b += 16) {
        *(i16u *)(flatOff + n + b) = *(const i16u *)(off + k0 + b) + tap;
        if (withValues) *(v16u *)(flatVal + n + b) = *(const v16u *)(val + k0 + b);
      }
      n += count;
    }
  }
  start[o1 - o0] = n;
}

/* a0..a3 += x w over 64 channels from w (products: w already holds x w). */
#define ACC4(a0, a1, a2, a3, wp, x, products)                                                              \
  do {                                                                                                      \
    const float *w_ = (wp);                                                                                 \
    if (products) a0 += LOAD(w_), a1 += LOAD(w_ + 16), a2 += LOAD(w_ + 32), a3 += LOAD(w_ + 48);             \
    else a0 += (x) * LOAD(w_), a1 += (x) * LOAD(w_ + 16), a2 += (x) * LOAD(w_ + 32), a3 += (x) * LOAD(w_ + 48); \
  } while (0)

/*
 * Sums of the output positions of one tile (n of them) into tile[j][0 .. cOutPad): bias plus
 * the events, two positions at a time (independent accumulators for the adds to overlap).
 */
static inline void accumulate_tile(int n, int cOutPad, const float *weights, const float *bias, const int32_t *start, const int32_t *off, const float *val, int products, float *tile) {
  for (int j = 0; j < n; j += 2) {
    const int two = j + 1 < n;
    const int32_t *off0 = off + start[j], *off1 = off + start[j + 1];
    const float *val0 = val + start[j], *val1 = val + start[j + 1];
    const int n0 = start[j + 1] - start[j];
    const int n1 = two ? start[j + 2] - start[j + 1] : 0;
    const int common = n0 < n1 ? n0 : n1;
    float *t0 = tile + (size_t)j * cOutPad, *t1 = t0 + cOutPad;
    int ch = 0;
    for (; ch + 64 <= cOutPad; ch += 64) {
      const float *w = weights + ch;
      v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
      v16 b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
      int e = 0;
      for (; e < common; e++) {
        ACC4(a0, a1, a2, a3, w + off0[e], val0[e], products);
        ACC4(b0, b1, b2, b3, w + off1[e], val1[e], products);
      }
      for (int f = e; f < n0; f++) ACC4(a0, a1, a2, a3, w + off0[f], val0[f], products);
      for (int f = e; f < n1; f++) ACC4(b0, b1, b2, b3, w + off1[f], val1[f], products);
      const float *bc = bias + ch;
      *(v16u *)(t0 + ch) = a0 + LOAD(bc), *(v16u *)(t0 + ch + 16) = a1 + LOAD(bc + 16);
      *(v16u *)(t0 + ch + 32) = a2 + LOAD(bc + 32), *(v16u *)(t0 + ch + 48) = a3 + LOAD(bc + 48);
      if (two) {
        *(v16u *)(t1 + ch) = b0 + LOAD(bc), *(v16u *)(t1 + ch + 16) = b1 + LOAD(bc + 16);
        *(v16u *)(t1 + ch + 32) = b2 + LOAD(bc + 32), *(v16u *)(t1 + ch + 48) = b3 + LOAD(bc + 48);
      }
    }
    for (; ch < cOutPad; ch += 16) {
      const float *w = weights + ch;
      v16 a = {0}, b = {0};
      for (int f = 0; f < n0; f++) a += products ? LOAD(w + off0[f]) : val0[f] * LOAD(w + off0[f]);
      for (int f = 0; f < n1; f++) b += products ? LOAD(w + off1[f]) : val1[f] * LOAD(w + off1[f]);
      *(v16u *)(t0 + ch) = a + LOAD(bias + ch);
      if (two) *(v16u *)(t1 + ch) = b + LOAD(bias + ch);
    }
  }
}

/* y[c][o0 + j] = tile[j][c] for j < n, c < cOut: the tile back to channel-first. */
static inline void store_tile(const float *tile, int n, int cOut, int cOutPad, float *y, int outPlane, int o0) {
  for (int c0 = 0; c0 < cOut; c0 += 16) transpose_block(tile + c0, cOutPad, n, cOut - c0 < 16 ? cOut - c0 : 16, y + (size_t)c0 * outPlane + o0, outPlane);
}

/*
 * Weights at a 64-byte boundary (one cache line per 16-float row): `src` itself when it is
 * aligned (the caller allocates it so), else a copy, which the caller frees.
 */
static float *aligned_weights(const float *src, size_t n) {
  if ((uintptr_t)src % 64 == 0) return (float *)src;
  float *dst = aligned_alloc(64, (n * sizeof *dst + 63) / 64 * 64);
  if (!dst) abort();
  memcpy(dst, src, n * sizeof *dst);
  return dst;
}

void snnc_conv_events(const float *x, float *y, int rows, int cIn, int inPlane, int cOut, int cOutPad, int outPlane, int taps, const int32_t *pairStart, const int32_t *pairs, const float *weights, const float *bias, int levels) {
  const int channelStride = taps * cOutPad;
  const int tableStride = cIn * channelStride;
  const int products = levels > 0;
  const size_t listLength = (size_t)inPlane * cIn + 16;
  int maxTile = 0;
  for (int o0 = 0; o0 < outPlane; o0 += TILE) {
    const int o1 = o0 + TILE < outPlane ? o0 + TILE : outPlane;
    if (pairStart[o1] - pairStart[o0] > maxTile) maxTile = pairStart[o1] - pairStart[o0];
  }
  const size_t flatLength = (size_t)maxTile * cIn + 16;
  float *w = aligned_weights(weights, (size_t)tableStride * (products ? levels : 1));
  /* Zeroed: the padding channels of the channel-last copy are never written. */
  float *xt = calloc((size_t)inPlane * ((cIn + 15) / 16 * 16), sizeof *xt);
  int32_t *posStart = malloc(((size_t)inPlane + 1) * sizeof *posStart);
  int32_t *off = malloc(listLength * sizeof *off);
  float *val = malloc(listLength * sizeof *val);
  int32_t *start = malloc((TILE + 1) * sizeof *start);
  int32_t *flatOff = malloc(flatLength * sizeof *flatOff);
  float *flatVal = malloc(flatLength * sizeof *flatVal);
  float *tile = aligned_alloc(64, (size_t)TILE * cOutPad * sizeof *tile);
  if (!xt || !posStart || !off || !val || !start || !flatOff || !flatVal || !tile) abort();
  for (int r = 0; r < rows; r++) {
    list_by_position(x + (size_t)r * cIn * inPlane, cIn, inPlane, channelStride, levels, tableStride, xt, posStart, off, val);
    float *yr = y + (size_t)r * cOut * outPlane;
    for (int o0 = 0; o0 < outPlane; o0 += TILE) {
      const int n = o0 + TILE < outPlane ? TILE : outPlane - o0;
      gather_tile(o0, o0 + n, pairStart, pairs, posStart, off, val, start, flatOff, flatVal, !products);
      if (products) accumulate_tile(n, cOutPad, w, bias, start, flatOff, flatVal, 1, tile);
      else accumulate_tile(n, cOutPad, w, bias, start, flatOff, flatVal, 0, tile);
      store_tile(tile, n, cOut, cOutPad, yr, outPlane, o0);
    }
  }
  if (w != weights) free(w);
  free(xt);
  free(posStart);
  free(off);
  free(val);
  free(start);
  free(flatOff);
  free(flatVal);
  free(tile);
}

void snnc_dense_events(const float *x, float *y, int rows, int inPer, int outPer, int outPad, const float *weights, const float *bias) {
  /* 16 entries of slack: whole vectors are stored past the count. */
  int32_t *index = malloc(((size_t)inPer + 16) * sizeof *index);
  float *value = malloc(((size_t)inPer + 16) * sizeof *value);
  float *w = aligned_weights(weights, (size_t)inPer * outPad);
  if (!index || !value) abort();
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * inPer;
    float *yr = y + (size_t)r * outPer;
    int n = 0;
    int i = 0;
#if defined(__AVX512F__)
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (; i + 16 <= inPer; i += 16) {
      const __m512 v = _mm512_loadu_ps(xr + i);
      const __mmask16 m = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
      const __m512i at = _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(i)), _mm512_set1_epi32(outPad));
      _mm512_storeu_si512(index + n, _mm512_maskz_compress_epi32(m, at));
      _mm512_storeu_ps(value + n, _mm512_maskz_compress_ps(m, v));
      n += __builtin_popcount(m);
    }
#endif
    for (; i < inPer; i++) {
      const float v = xr[i];
      index[n] = i * outPad;
      value[n] = v;
      n += v != 0.0f;
    }
    int ch = 0;
    for (; ch + 128 <= outPad; ch += 128) {
      v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
      const float *w0 = w + ch;
      for (int k = 0; k < n; k++) {
        const float *w = w0 + index[k];
        const float v = value[k];
        a0 += v * LOAD(w), a1 += v * LOAD(w + 16), a2 += v * LOAD(w + 32), a3 += v * LOAD(w + 48);
        a4 += v * LOAD(w + 64), a5 += v * LOAD(w + 80), a6 += v * LOAD(w + 96), a7 += v * LOAD(w + 112);
      }
      v16 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
      for (int j = 0; j < 8; j++) store_strided(acc[j], bias, ch + 16 * j, outPer, yr, 1);
    }
    for (; ch < outPad; ch += 16) {
      v16 a = {0};
      const float *w0 = w + ch;
      for (int k = 0; k < n; k++) a += value[k] * LOAD(w0 + index[k]);
      store_strided(a, bias, ch, outPer, yr, 1);
    }
  }
  if (w != weights) free(w);
  free(index);
  free(value);
}
