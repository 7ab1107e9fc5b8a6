/*
 * The Node-API binding of the native kernels (linear.c): typed arrays in, no state kept, so
 * one loaded copy serves every worker thread (a context-aware module: NAPI_MODULE_INIT).
 * Every length is checked against the shapes before a kernel runs: a mismatch throws (a bug
 * in the caller), it never reads or writes outside an array.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>

#include "elementwise.h"
#include "linear.h"
#include "scan.h"

#define MAX_ARGS 16

static int fail(napi_env env, const char *message) {
  napi_throw_error(env, "SNNC_NATIVE", message);
  return 0;
}

/* The data and length of a typed array of the given type (0 and a pending exception if not). */
static int typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return fail(env, "native kernels: expected a typed array");
  if (napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok || type != want) return fail(env, "native kernels: typed array of the wrong type");
  return 1;
}

static int integer(napi_env env, napi_value value, int32_t *out) {
  if (napi_get_value_int32(env, value, out) != napi_ok) return fail(env, "native kernels: expected an integer");
  return 1;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) return fail(env, "native kernels: wrong number of arguments");
  return 1;
}

/* convEvents(x, y, rows, cIn, inPlane, cOut, cOutPad, outPlane, taps, pairStart, pairs, weights, bias, levels) */
static napi_value conv_events(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 14, argv)) return NULL;
  void *x, *y, *pairStart, *pairs, *weights, *bias;
  size_t nx, ny, nStart, nPairs, nWeights, nBias;
  int32_t rows, cIn, inPlane, cOut, cOutPad, outPlane, taps, levels;
  if (!typed(env, argv[0], napi_float32_array, &x, &nx) || !typed(env, argv[1], napi_float32_array, &y, &ny) || !integer(env, argv[2], &rows) ||
      !integer(env, argv[3], &cIn) || !integer(env, argv[4], &inPlane) || !integer(env, argv[5], &cOut) || !integer(env, argv[6], &cOutPad) ||
      !integer(env, argv[7], &outPlane) || !integer(env, argv[8], &taps) || !typed(env, argv[9], napi_int32_array, &pairStart, &nStart) ||
      !typed(env, argv[10], napi_int32_array, &pairs, &nPairs) || !typed(env, argv[11], napi_float32_array, &weights, &nWeights) ||
      !typed(env, argv[12], napi_float32_array, &bias, &nBias) || !integer(env, argv[13], &levels))
    return NULL;
  if (rows < 0 || cIn < 1 || inPlane < 1 || cOut < 1 || cOutPad < cOut || cOutPad % 16 != 0 || outPlane < 1 || taps < 1 || levels < 0) {
    fail(env, "native conv: invalid shape");
    return NULL;
  }
  const size_t weightCount = (size_t)cIn * taps * cOutPad * (levels > 0 ? levels : 1);
  if (nx < (size_t)rows * cIn * inPlane || ny < (size_t)rows * cOut * outPlane || nStart != (size_t)outPlane + 1 || nWeights < weightCount || nBias < (size_t)cOutPad) {
    fail(env, "native conv: array shorter than its shape");
    return NULL;
  }
  const int32_t *start = pairStart, *pair = pairs;
  if (start[0] != 0 || (size_t)start[outPlane] * 2 != nPairs) {
    fail(env, "native conv: pair table does not match its start table");
    return NULL;
  }
  for (size_t q = 0; q < nPairs; q += 2) {
    if (pair[q] < 0 || pair[q] >= inPlane || pair[q + 1] < 0 || pair[q + 1] > (taps - 1) * cOutPad || pair[q + 1] % cOutPad != 0) {
      fail(env, "native conv: pair outside the input or the taps");
      return NULL;
    }
  }
  snnc_conv_events(x, y, rows, cIn, inPlane, cOut, cOutPad, outPlane, taps, start, pair, weights, bias, levels);
  return NULL;
}

/* denseEvents(x, y, rows, inPer, outPer, outPad, weights, bias) */
static napi_value dense_events(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 8, argv)) return NULL;
  void *x, *y, *weights, *bias;
  size_t nx, ny, nWeights, nBias;
  int32_t rows, inPer, outPer, outPad;
  if (!typed(env, argv[0], napi_float32_array, &x, &nx) || !typed(env, argv[1], napi_float32_array, &y, &ny) || !integer(env, argv[2], &rows) ||
      !integer(env, argv[3], &inPer) || !integer(env, argv[4], &outPer) || !integer(env, argv[5], &outPad) ||
      !typed(env, argv[6], napi_float32_array, &weights, &nWeights) || !typed(env, argv[7], napi_float32_array, &bias, &nBias))
    return NULL;
  if (rows < 0 || inPer < 1 || outPer < 1 || outPad < outPer || outPad % 16 != 0) {
    fail(env, "native dense: invalid shape");
    return NULL;
  }
  if (nx < (size_t)rows * inPer || ny < (size_t)rows * outPer || nWeights < (size_t)inPer * outPad || nBias < (size_t)outPad) {
    fail(env, "native dense: array shorter than its shape");
    return NULL;
  }
  snnc_dense_events(x, y, rows, inPer, outPer, outPad, weights, bias);
  return NULL;
}

/* add(a, b, out, n): out = a + b over n values (elementwise.c). */
static napi_value add(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 4, argv)) return NULL;
  void *a, *b, *out;
  size_t na, nb, nOut;
  int32_t n;
  if (!typed(env, argv[0], napi_float32_array, &a, &na) || !typed(env, argv[1], napi_float32_array, &b, &nb) ||
      !typed(env, argv[2], napi_float32_array, &out, &nOut) || !integer(env, argv[3], &n))
    return NULL;
  if (n < 0 || na < (size_t)n || nb < (size_t)n || nOut < (size_t)n) {
    fail(env, "native add: array shorter than n");
    return NULL;
  }
  snnc_add(a, b, out, (size_t)n);
  return NULL;
}

/* affine(x, y, rows, scale, shift): y[r][c][i] = scale[c] x[r][c][i] + shift[c], plane = length / (rows x channels). */
static napi_value affine(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 5, argv)) return NULL;
  void *x, *y, *scale, *shift;
  size_t nx, ny, nScale, nShift;
  int32_t rows;
  if (!typed(env, argv[0], napi_float32_array, &x, &nx) || !typed(env, argv[1], napi_float32_array, &y, &ny) || !integer(env, argv[2], &rows) ||
      !typed(env, argv[3], napi_float32_array, &scale, &nScale) || !typed(env, argv[4], napi_float32_array, &shift, &nShift))
    return NULL;
  if (rows < 0 || nScale < 1 || nShift != nScale || ny < nx || (rows > 0 && nx % ((size_t)rows * nScale) != 0)) {
    fail(env, "native affine: invalid shape");
    return NULL;
  }
  if (rows > 0) snnc_affine(x, y, (size_t)rows, nScale, nx / ((size_t)rows * nScale), scale, shift);
  return NULL;
}

/*
 * The scans work on the WebAssembly kernels' memory (an ArrayBuffer) at byte addresses, as the
 * WebAssembly exports do: `memory` is its current buffer, each region is checked to lie inside.
 */
typedef struct {
  uint8_t *base;
  size_t bytes;
} memory_t;

static int memory_of(napi_env env, napi_value value, memory_t *m) {
  void *data;
  if (napi_get_arraybuffer_info(env, value, &data, &m->bytes) != napi_ok) return fail(env, "native scans: expected the kernels' ArrayBuffer");
  m->base = data;
  return 1;
}

/* The address of a region of `count` 4-byte values at byte offset `at` (checked). */
static void *region(napi_env env, const memory_t *m, napi_value at, int64_t count, int *ok) {
  int64_t offset;
  if (!*ok) return NULL;
  if (napi_get_value_int64(env, at, &offset) != napi_ok || offset < 0 || offset % 4 != 0 || count < 0 || (uint64_t)offset + 4 * (uint64_t)count > m->bytes) {
    *ok = fail(env, "native scans: region outside the kernels' memory");
    return NULL;
  }
  return m->base + offset;
}

static int number(napi_env env, napi_value value, double *out) {
  if (napi_get_value_double(env, value, out) != napi_ok) return fail(env, "native scans: expected a number");
  return 1;
}

/* scanIf(memory, z, v, counts, events, n, vThreshold, drop, subtract, vReset) -> events written */
static napi_value scan_if(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 10, argv)) return NULL;
  memory_t m;
  int32_t n, subtract;
  double thr, drop, vReset;
  if (!memory_of(env, argv[0], &m) || !integer(env, argv[5], &n) || !number(env, argv[6], &thr) || !number(env, argv[7], &drop) || !integer(env, argv[8], &subtract) || !number(env, argv[9], &vReset)) return NULL;
  int ok = n >= 0 ? 1 : fail(env, "native scans: negative n");
  const float *z = region(env, &m, argv[1], n, &ok);
  float *v = region(env, &m, argv[2], n, &ok);
  int32_t *counts = region(env, &m, argv[3], n, &ok);
  int32_t *events = region(env, &m, argv[4], n, &ok);
  if (!ok) return NULL;
  napi_value result;
  napi_create_int32(env, snnc_scan_if(z, v, counts, events, n, thr, drop, subtract, vReset), &result);
  return result;
}

/* scanIfSteps(memory, z, v, counts, events, eventCounts, stride, n, steps, vThreshold, drop, subtract, vReset) -> events written */
static napi_value scan_if_steps(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 13, argv)) return NULL;
  memory_t m;
  int32_t stride, n, steps, subtract;
  double thr, drop, vReset;
  if (!memory_of(env, argv[0], &m) || !integer(env, argv[6], &stride) || !integer(env, argv[7], &n) || !integer(env, argv[8], &steps) || !number(env, argv[9], &thr) ||
      !number(env, argv[10], &drop) || !integer(env, argv[11], &subtract) || !number(env, argv[12], &vReset))
    return NULL;
  int ok = n >= 0 && steps >= 0 && stride >= n ? 1 : fail(env, "native scans: invalid n, steps or stride");
  const float *z = region(env, &m, argv[1], n, &ok);
  float *v = region(env, &m, argv[2], n, &ok);
  int32_t *counts = region(env, &m, argv[3], n, &ok);
  int32_t *events = region(env, &m, argv[4], (int64_t)steps * stride, &ok);
  int32_t *eventCounts = region(env, &m, argv[5], steps, &ok);
  if (!ok) return NULL;
  napi_value result;
  napi_create_int32(env, snnc_scan_if_steps(z, v, counts, events, eventCounts, stride, n, steps, thr, drop, subtract, vReset), &result);
  return result;
}

/*
 * scanIfSigned(z, zOffset, v, counts, stateOffset, events, values, eventsAt, n, vThreshold, drop, vReset)
 * -> the new event count: one step of n IF neurons with signed spikes on typed arrays (the
 * layer's own state, not the kernels' memory), events and values appended from eventsAt.
 */
static napi_value scan_if_signed(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 12, argv)) return NULL;
  void *z, *v, *counts, *events, *values;
  size_t nz, nv, nCounts, nEvents, nValues;
  int32_t zOffset, stateOffset, eventsAt, n;
  double thr, drop, vReset;
  if (!typed(env, argv[0], napi_float32_array, &z, &nz) || !integer(env, argv[1], &zOffset) || !typed(env, argv[2], napi_float32_array, &v, &nv) ||
      !typed(env, argv[3], napi_int32_array, &counts, &nCounts) || !integer(env, argv[4], &stateOffset) || !typed(env, argv[5], napi_int32_array, &events, &nEvents) ||
      !typed(env, argv[6], napi_float32_array, &values, &nValues) || !integer(env, argv[7], &eventsAt) || !integer(env, argv[8], &n) ||
      !number(env, argv[9], &thr) || !number(env, argv[10], &drop) || !number(env, argv[11], &vReset))
    return NULL;
  if (n < 0 || zOffset < 0 || stateOffset < 0 || eventsAt < 0 || (size_t)zOffset + n > nz || (size_t)stateOffset + n > nv || (size_t)stateOffset + n > nCounts ||
      (size_t)eventsAt + n > nEvents || (size_t)eventsAt + n > nValues) {
    fail(env, "native scans: array shorter than its row");
    return NULL;
  }
  const int written = snnc_scan_if_signed((const float *)z + zOffset, (float *)v + stateOffset, (int32_t *)counts + stateOffset, (int32_t *)events + eventsAt, (float *)values + eventsAt, n, thr, drop, vReset);
  napi_value result;
  napi_create_int32(env, eventsAt + written, &result);
  return result;
}

/* poolSpikes(memory, events, count, window, windowLength, pooled, outPer, divisor, touched) -> non-zero outputs */
static napi_value pool_spikes(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 9, argv)) return NULL;
  memory_t m;
  int32_t count, windowLength, outPer;
  double divisor;
  if (!memory_of(env, argv[0], &m) || !integer(env, argv[2], &count) || !integer(env, argv[4], &windowLength) || !integer(env, argv[6], &outPer) || !number(env, argv[7], &divisor)) return NULL;
  int ok = count >= 0 && windowLength >= 0 && outPer >= 0 ? 1 : fail(env, "native scans: negative length");
  const int32_t *events = region(env, &m, argv[1], count, &ok);
  const int32_t *window = region(env, &m, argv[3], windowLength, &ok);
  float *pooled = region(env, &m, argv[5], outPer, &ok);
  int32_t *touched = region(env, &m, argv[8], outPer, &ok);
  if (!ok) return NULL;
  for (int k = 0; k < count; k++) {
    if (events[k] < 0 || events[k] >= windowLength || window[events[k]] >= outPer) {
      fail(env, "native scans: event outside the pooling windows");
      return NULL;
    }
  }
  napi_value result;
  napi_create_int32(env, snnc_pool_spikes(events, count, window, pooled, outPer, (float)divisor, touched), &result);
  return result;
}

/* misalignment(typedArray): the byte address of its first element modulo 64 (for aligned weights). */
static napi_value misalignment(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!args(env, info, 1, argv)) return NULL;
  void *data;
  size_t n;
  if (!typed(env, argv[0], napi_float32_array, &data, &n)) return NULL;
  napi_value result;
  napi_create_int32(env, (int32_t)((uintptr_t)data % 64), &result);
  return result;
}

/* What the library was built with, for diagnostics: compiler and vector extensions. */
static napi_value build_info(napi_env env, napi_callback_info info) {
  (void)info;
  char text[160];
  const char *simd =
#if defined(__AVX512F__)
      "AVX-512"
#elif defined(__AVX2__)
      "AVX2"
#elif defined(__SSE2__)
      "SSE2"
#elif defined(__ARM_NEON)
      "NEON"
#else
      "no SIMD extension"
#endif
      ;
  snprintf(text, sizeof text, "C (gcc-compatible %s), %s, no fused multiply-add", __VERSION__, simd);
  napi_value result;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"convEvents", NULL, conv_events, NULL, NULL, NULL, napi_default, NULL},
      {"denseEvents", NULL, dense_events, NULL, NULL, NULL, napi_default, NULL},
      {"scanIf", NULL, scan_if, NULL, NULL, NULL, napi_default, NULL},
      {"scanIfSteps", NULL, scan_if_steps, NULL, NULL, NULL, napi_default, NULL},
      {"scanIfSigned", NULL, scan_if_signed, NULL, NULL, NULL, napi_default, NULL},
      {"poolSpikes", NULL, pool_spikes, NULL, NULL, NULL, napi_default, NULL},
      {"add", NULL, add, NULL, NULL, NULL, napi_default, NULL},
      {"affine", NULL, affine, NULL, NULL, NULL, napi_default, NULL},
      {"misalignment", NULL, misalignment, NULL, NULL, NULL, napi_default, NULL},
      {"buildInfo", NULL, build_info, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
