/**
 * The native kernels (native/*.c, compiled by scripts/build-native.mjs with the machine's C
 * compiler into dist/native/snnc.node, a Node-API addon). Loaded once per thread on first use
 * (the addon keeps no state: worker threads load it too). When the file is absent (no
 * compiler when dist/ was built), fails to load, or SNNC_NATIVE=0 is set, the runtime uses
 * the WebAssembly kernels instead, which compute the same sums in the same order;
 * `nativeStatus()` says which and why.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's exports: typed arrays and shapes, as documented in native/linear.h. */
export interface NativeExports {
  convEvents(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    cIn: number,
    inPlane: number,
    cOut: number,
    cOutPad: number,
    outPlane: number,
    taps: number,
    pairStart: Int32Array,
    pairs: Int32Array,
    weights: Float32Array,
    bias: Float32Array,
    levels: number,
  ): void;
  denseEvents(x: Float32Array, y: Float32Array, rows: number, inPer: number, outPer: number, outPad: number, weights: Float32Array, bias: Float32Array): void;
  /** The IF scans and spike pooling of native/scan.c on the WebAssembly kernels' memory, at byte addresses (as wasm/kernels.ts). */
  scanIf(memory: ArrayBuffer, z: number, v: number, counts: number, events: number, n: number, vThreshold: number, drop: number, subtract: number, vReset: number): number;
  scanIfSteps(
    memory: ArrayBuffer,
    z: number,
    v: number,
    counts: number,
    events: number,
    eventCounts: number,
    stride: number,
    n: number,
    steps: number,
    vThreshold: number,
    drop: number,
    subtract: number,
    vReset: number,
  ): number;
  /**
   * One step of n IF neurons with signed spikes on the layer's own typed arrays (native/scan.c,
   * as scanIfRow of neuron-scan.ts does for signed spikes): events and values appended from eventsAt; returns the
   * new event count.
   */
  scanIfSigned(
    z: Float32Array,
    zOffset: number,
    v: Float32Array,
    counts: Int32Array,
    stateOffset: number,
    events: Int32Array,
    values: Float32Array,
    eventsAt: number,
    n: number,
    vThreshold: number,
    drop: number,
    vReset: number,
  ): number;
  poolSpikes(memory: ArrayBuffer, events: number, count: number, window: number, windowLength: number, pooled: number, outPer: number, divisor: number, touched: number): number;
  /** out = a + b over the first n values (native/elementwise.c; equal to kernels.ts bit for bit). */
  add(a: Float32Array, b: Float32Array, out: Float32Array, n: number): void;
  /** y[r][c][i] = scale[c] x[r][c][i] + shift[c] over x's [rows][channels][plane] values. */
  affine(x: Float32Array, y: Float32Array, rows: number, scale: Float32Array, shift: Float32Array): void;
  /** The byte address of the array's first element modulo 64. */
  misalignment(a: Float32Array): number;
  /** Compiler and vector extensions the library was built with. */
  buildInfo(): string;
}

/**
 * A zeroed Float32Array of `n` values starting at a 64-byte boundary, so that the kernels
 * read each 16-float weight row as one cache line (they copy unaligned weights on every call).
 * An ArrayBuffer's memory never moves, so the alignment holds for the array's lifetime.
 */
export function alignedFloat32(kernels: NativeExports, n: number): Float32Array {
  const buffer = new Float32Array(n + 16);
  const skip = ((64 - kernels.misalignment(buffer)) % 64) / 4;
  return buffer.subarray(skip, skip + n);
}

// Both src/runtime/native/ (tests) and dist/runtime/native/ are three levels below the package root.
const NATIVE_FILE = fileURLToPath(new URL('../../../dist/native/snnc.node', import.meta.url));
const BUILD_LOG = fileURLToPath(new URL('../../../dist/native/build.log', import.meta.url));

let loaded: { kernels: NativeExports | null; status: string } | undefined;

function load(): { kernels: NativeExports | null; status: string } {
  if (process.env.SNNC_NATIVE === '0') return { kernels: null, status: 'SNNC_NATIVE=0' };
  if (!fs.existsSync(NATIVE_FILE)) {
    const log = fs.existsSync(BUILD_LOG) ? fs.readFileSync(BUILD_LOG, 'utf8').split('\n')[0]!.trim() : 'dist/native/snnc.node missing';
    return { kernels: null, status: log };
  }
  try {
    const kernels = createRequire(import.meta.url)(NATIVE_FILE) as NativeExports;
    return { kernels, status: kernels.buildInfo() };
  } catch (e) {
    return { kernels: null, status: `failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** The native kernels, or null when they are not built, do not load, or are turned off. */
export function nativeKernels(): NativeExports | null {
  return (loaded ??= load()).kernels;
}

/** One line on the native kernels: what they were built with, or why they are not in use. */
export function nativeStatus(): string {
  const { kernels, status } = (loaded ??= load());
  return kernels ? `native kernels: ${status}` : `native kernels not in use (${status}): WebAssembly kernels instead`;
}
