/* IF scans and spike pooling (scan.c); arguments as for scanIf, scanIfSteps and poolSpikes of wasm/kernels.ts. */
#ifndef SNNC_SCAN_H
#define SNNC_SCAN_H
#include <stdint.h>

int snnc_scan_if(const float *z, float *v, int32_t *counts, int32_t *events, int n, double thr, double drop, int subtract, double vReset);
int snnc_scan_if_steps(const float *z, float *v, int32_t *counts, int32_t *events, int32_t *eventCounts, int stride, int n, int steps, double thr, double drop, int subtract, double vReset);
/* One step of IF neurons with signed spikes (arguments as scanIfRow of runtime/neuron-scan.ts with signed spikes); returns the events written. */
int snnc_scan_if_signed(const float *z, float *v, int32_t *counts, int32_t *events, float *values, int n, double thr, double drop, double vReset);
int snnc_pool_spikes(const int32_t *events, int count, const int32_t *window, float *pooled, int outPer, float divisor, int32_t *touched);

#endif
