/**
 * The neuron scans and the fused spike pooling of a kernel arena: the native ones
 * (native/scan.c, AVX-512 where the CPU has it) working on the arena's WebAssembly memory at
 * the same byte addresses, where the native library is in use, else the arena's WebAssembly
 * exports. Both compute the same spikes, counts, events and membranes bit for bit
 * (test/runtime-native-scan.test.ts checks them against snn/neuron.ts step()).
 */
import type { KernelArena, KernelExports } from '../wasm/module.js';
import { nativeKernels } from './addon.js';

/** The scans, at byte addresses into the arena's memory (as KernelExports; poolSpikes also takes the window region's length). */
export interface ScanKernels {
  readonly kind: 'native' | 'wasm';
  scanIf: KernelExports['scanIf'];
  scanIfSteps: KernelExports['scanIfSteps'];
  scanLif: KernelExports['scanLif'];
  poolSpikes(events: number, count: number, window: number, windowLength: number, pooled: number, outPer: number, divisor: number, touched: number): number;
}

/** The arena's scans: native where the library is in use (the LIF scan stays WebAssembly). */
export function scansOf(arena: KernelArena): ScanKernels {
  const k = arena.exports;
  const native = nativeKernels();
  if (native === null) {
    return {
      kind: 'wasm',
      scanIf: (...a) => k.scanIf(...a),
      scanIfSteps: (...a) => k.scanIfSteps(...a),
      scanLif: (...a) => k.scanLif(...a),
      poolSpikes: (events, count, window, _windowLength, pooled, outPer, divisor, touched) => k.poolSpikes(events, count, window, pooled, outPer, divisor, touched),
    };
  }
  return {
    kind: 'native',
    scanIf: (z, v, counts, events, n, vThreshold, drop, subtract, vReset) => native.scanIf(arena.buffer, z, v, counts, events, n, vThreshold, drop, subtract, vReset),
    // `active` is the WebAssembly kernel's scratch; the native one keeps its own.
    scanIfSteps: (z, v, counts, events, eventCounts, stride, n, steps, vThreshold, drop, subtract, vReset) =>
      native.scanIfSteps(arena.buffer, z, v, counts, events, eventCounts, stride, n, steps, vThreshold, drop, subtract, vReset),
    scanLif: (...a) => k.scanLif(...a),
    poolSpikes: (events, count, window, windowLength, pooled, outPer, divisor, touched) => native.poolSpikes(arena.buffer, events, count, window, windowLength, pooled, outPer, divisor, touched),
  };
}
