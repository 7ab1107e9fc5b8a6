/*
 * IF neuron scans and spike pooling in C, on the WebAssembly kernels' own memory (the
 * neuron layers keep their state there): the same operations as scanIf, scanIfSteps and
 * poolSpikes of wasm/kernels.ts, in the same precision and order, so the same spikes, counts,
 * events and membranes bit for bit. The membrane update runs in double precision (float32
 * state promoted, the sum rounded back to float32 on store), 16 neurons per iteration where
 * the CPU has AVX-512 (two vectors of eight doubles), one at a time elsewhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* One IF step of neuron i, scalar: the reference for the tails and for CPUs without AVX-512. */
static inline int if_one(const float *z, float *v, int32_t *counts, int32_t *events, int e, int i, double thr, double drop, int subtract, double vReset) {
  const double s = (double)v[i] + (double)z[i];
  if (s >= thr) {
    v[i] = (float)(subtract ? s - drop : vReset);
    counts[i]++;
    events[e++] = i;
  } else {
    v[i] = (float)s;
  }
  return e;
}

#if defined(__AVX512F__)
/*
 * One IF step of the 16 neurons from i whose lanes are set in `live` (the others keep v and
 * never fire); events appended at events + e in increasing order. Writes up to events[e + 15]
 * (e <= i, so never past neuron i + 15). Returns the new e.
 */
static inline int if_16(const float *z, float *v, int32_t *counts, int32_t *events, int e, int i, __mmask16 live, __m512d thr, __m512d drop, int subtract, __m512d vReset) {
  const __m512 v16 = _mm512_loadu_ps(v + i), z16 = _mm512_loadu_ps(z + i);
  const __m512d sLo = _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v16)), _mm512_cvtps_pd(_mm512_castps512_ps256(z16)));
  const __m512d sHi = _mm512_add_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v16), 1))),
                                    _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(z16), 1))));
  const __mmask8 fLo = _mm512_cmp_pd_mask(sLo, thr, _CMP_GE_OQ), fHi = _mm512_cmp_pd_mask(sHi, thr, _CMP_GE_OQ);
  const __mmask16 fire = (__mmask16)(fLo | (fHi << 8)) & live;
  const __m512d rLo = _mm512_mask_blend_pd((__mmask8)fire, sLo, subtract ? _mm512_sub_pd(sLo, drop) : vReset);
  const __m512d rHi = _mm512_mask_blend_pd((__mmask8)(fire >> 8), sHi, subtract ? _mm512_sub_pd(sHi, drop) : vReset);
  const __m512 next = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(rLo)), _mm512_cvtpd_ps(rHi), 1);
  _mm512_storeu_ps(v + i, _mm512_mask_blend_ps(live, v16, next));
  /* No branch on whether any neuron fired: it is unpredictable, and a wrong guess costs more than the stores. */
  const __m512i c = _mm512_loadu_si512(counts + i);
  _mm512_storeu_si512(counts + i, _mm512_mask_add_epi32(c, fire, c, _mm512_set1_epi32(1)));
  const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(i), _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
  _mm512_storeu_si512(events + e, _mm512_maskz_compress_epi32(fire, idx));
  e += __builtin_popcount(fire);
  return e;
}
#endif

int snnc_scan_if(const float *z, float *v, int32_t *counts, int32_t *events, int n, double thr, double drop, int subtract, double vReset) {
  int e = 0, i = 0;
#if defined(__AVX512F__)
  const __m512d t = _mm512_set1_pd(thr), d = _mm512_set1_pd(drop), r = _mm512_set1_pd(vReset);
  for (; i + 16 <= n; i += 16) e = if_16(z, v, counts, events, e, i, 0xFFFF, t, d, subtract, r);
#endif
  for (; i < n; i++) e = if_one(z, v, counts, events, e, i, thr, drop, subtract, vReset);
  return e;
}

/*
 * One step of IF neurons with signed spikes (reset by subtraction), as scanIfRow (signed) of
 * runtime/neuron-scan.ts: s = v + z in double; s >= thr: +1, v = s - drop, count + 1; else
 * s < vReset with a positive count: -1, v = s + drop, count - 1. Events (neuron index) and
 * their values (+1 / -1) are appended from events[0] / values[0]. Returns how many.
 */
static inline int signed_one(const float *z, float *v, int32_t *counts, int32_t *events, float *values, int e, int i, double thr, double drop, double vReset) {
  const double s = (double)v[i] + (double)z[i];
  if (s >= thr) {
    v[i] = (float)(s - drop);
    counts[i]++;
    values[e] = 1.0f;
    events[e++] = i;
  } else if (s < vReset && counts[i] > 0) {
    v[i] = (float)(s + drop);
    counts[i]--;
    values[e] = -1.0f;
    events[e++] = i;
  } else {
    v[i] = (float)s;
  }
  return e;
}

int snnc_scan_if_signed(const float *z, float *v, int32_t *counts, int32_t *events, float *values, int n, double thr, double drop, double vReset) {
  int e = 0, i = 0;
#if defined(__AVX512F__)
  const __m512d t = _mm512_set1_pd(thr), d = _mm512_set1_pd(drop), r = _mm512_set1_pd(vReset);
  const __m512i one = _mm512_set1_epi32(1), idx0 = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  for (; i + 16 <= n; i += 16) {
    const __m512 v16 = _mm512_loadu_ps(v + i), z16 = _mm512_loadu_ps(z + i);
    const __m512d sLo = _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v16)), _mm512_cvtps_pd(_mm512_castps512_ps256(z16)));
    const __m512d sHi = _mm512_add_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v16), 1))),
                                      _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(z16), 1))));
    const __mmask16 fire = (__mmask16)(_mm512_cmp_pd_mask(sLo, t, _CMP_GE_OQ) | (unsigned)_mm512_cmp_pd_mask(sHi, t, _CMP_GE_OQ) << 8);
    const __mmask16 below = (__mmask16)(_mm512_cmp_pd_mask(sLo, r, _CMP_LT_OQ) | (unsigned)_mm512_cmp_pd_mask(sHi, r, _CMP_LT_OQ) << 8);
    const __m512i c = _mm512_loadu_si512(counts + i);
    const __mmask16 back = below & (__mmask16)~fire & _mm512_cmpgt_epi32_mask(c, _mm512_setzero_si512());
    __m512d rLo = _mm512_mask_blend_pd((__mmask8)fire, sLo, _mm512_sub_pd(sLo, d));
    __m512d rHi = _mm512_mask_blend_pd((__mmask8)(fire >> 8), sHi, _mm512_sub_pd(sHi, d));
    rLo = _mm512_mask_blend_pd((__mmask8)back, rLo, _mm512_add_pd(sLo, d));
    rHi = _mm512_mask_blend_pd((__mmask8)(back >> 8), rHi, _mm512_add_pd(sHi, d));
    _mm512_storeu_ps(v + i, _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(rLo)), _mm512_cvtpd_ps(rHi), 1));
    _mm512_storeu_si512(counts + i, _mm512_mask_sub_epi32(_mm512_mask_add_epi32(c, fire, c, one), back, _mm512_mask_add_epi32(c, fire, c, one), one));
    const __mmask16 any = fire | back;
    _mm512_storeu_si512(events + e, _mm512_maskz_compress_epi32(any, _mm512_add_epi32(_mm512_set1_epi32(i), idx0)));
    _mm512_storeu_ps(values + e, _mm512_maskz_compress_ps(any, _mm512_mask_blend_ps(fire, _mm512_set1_ps(-1.0f), _mm512_set1_ps(1.0f))));
    e += __builtin_popcount(any);
  }
#endif
  for (; i < n; i++) e = signed_one(z, v, counts, events, values, e, i, thr, drop, vReset);
  return e;
}

/* Neurons per tile of snnc_scan_if_steps: their membranes and currents stay in L1 over the steps. */
#define TILE 512

/* Whether the group of four neurons from i can never fire: z <= 0 and v < thr in every lane. */
static inline int frozen4(const float *z, const float *v, int i, double thr) {
  for (int k = i; k < i + 4; k++)
    if (!(z[k] <= 0.0f && (double)v[k] < thr)) return 0;
  return 1;
}

int snnc_scan_if_steps(const float *z, float *v, int32_t *counts, int32_t *events, int32_t *eventCounts, int stride, int n, int steps, double thr, double drop, int subtract, double vReset) {
  memset(eventCounts, 0, (size_t)steps * sizeof *eventCounts);
  int total = 0;
  const int full = n & ~3;
  /* Live lanes of each block of 16 neurons of a tile (groups of four that may fire), and the live blocks. */
  uint16_t live[TILE / 16];
  int blocks[TILE / 16];
  for (int tile = 0; tile < full; tile += TILE) {
    const int end = tile + TILE < full ? tile + TILE : full;
    int m = 0;
    for (int b = tile; b < end; b += 16) {
      uint16_t lanes = 0;
#if defined(__AVX512F__)
      if (b + 16 <= end) {
        /* Lanes that cannot rise to the threshold, then the groups of four made only of them. */
        const __m512 v16 = _mm512_loadu_ps(v + b);
        const __m512d t = _mm512_set1_pd(thr);
        const unsigned below = _mm512_cmp_pd_mask(_mm512_cvtps_pd(_mm512_castps512_ps256(v16)), t, _CMP_LT_OQ) |
                               (unsigned)_mm512_cmp_pd_mask(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v16), 1))), t, _CMP_LT_OQ) << 8;
        const unsigned still = below & _mm512_cmp_ps_mask(_mm512_loadu_ps(z + b), _mm512_setzero_ps(), _CMP_LE_OQ);
        for (int g = 0; g < 4; g++)
          if ((still >> (4 * g) & 0xF) != 0xF) lanes |= (uint16_t)(0xF << (4 * g));
      } else
#endif
        for (int g = 0; g < 4 && b + 4 * g < end; g++)
          if (!frozen4(z, v, b + 4 * g, thr)) lanes |= (uint16_t)(0xF << (4 * g));
      if (lanes) live[m] = lanes, blocks[m++] = b;
    }
    for (int k = 0; k < steps; k++) {
      int32_t *list = events + (size_t)k * stride;
      const int e0 = eventCounts[k];
      int e = e0;
      for (int j = 0; j < m; j++) {
        const int b = blocks[j];
#if defined(__AVX512F__)
        if (b + 16 <= end) {
          e = if_16(z, v, counts, list, e, b, live[j], _mm512_set1_pd(thr), _mm512_set1_pd(drop), subtract, _mm512_set1_pd(vReset));
          continue;
        }
#endif
        for (int i = b; i < b + 16 && i < end; i++)
          if (live[j] >> (i - b) & 1) e = if_one(z, v, counts, list, e, i, thr, drop, subtract, vReset);
      }
      eventCounts[k] = e;
      total += e - e0;
    }
  }
  /* The last n mod 4 neurons, one by one, skipped when they can never fire. */
  for (int i = full; i < n; i++) {
    if (z[i] <= 0.0f && (double)v[i] < thr) continue;
    for (int k = 0; k < steps; k++) {
      const int e = eventCounts[k];
      eventCounts[k] = if_one(z, v, counts, events + (size_t)k * stride, e, i, thr, drop, subtract, vReset);
      total += eventCounts[k] - e;
    }
  }
  return total;
}

int snnc_pool_spikes(const int32_t *events, int count, const int32_t *window, float *pooled, int outPer, float divisor, int32_t *touched) {
  memset(pooled, 0, (size_t)outPer * sizeof *pooled);
  int t = 0;
  for (int k = 0; k < count; k++) {
    const int o = window[events[k]];
    if (o < 0) continue;
    const float before = pooled[o];
    /* Branch-free: whether a window is new is unpredictable. */
    touched[t] = o;
    t += before == 0.0f;
    pooled[o] = before + 1.0f;
  }
  for (int k = 0; k < t; k++) pooled[touched[k]] /= divisor;
  return t;
}
