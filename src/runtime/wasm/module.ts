/**
 * The WebAssembly SIMD kernels (wasm/kernels.ts, compiled by `npm run build:wasm` into
 * dist/wasm/kernels.wasm at install time). Compiled once per thread on first use; when the
 * file is absent (a checkout built without it) the runtime falls back to its JavaScript
 * kernels, which compute the same results.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The kernels' exports; addresses are byte offsets into the instance's memory. */
export interface KernelExports {
  scanIf(z: number, v: number, counts: number, events: number, n: number, vThreshold: number, drop: number, subtract: number, vReset: number): number;
  scanIfSteps(
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
    active: number,
  ): number;
  scanLif(
    z: number,
    v: number,
    refractory: number,
    counts: number,
    events: number,
    n: number,
    decay: number,
    gain: number,
    vRest: number,
    vThreshold: number,
    drop: number,
    subtract: number,
    vReset: number,
    tRefSteps: number,
  ): number;
  convEvents(
    x: number,
    y: number,
    rows: number,
    cIn: number,
    inPlane: number,
    cOut: number,
    cOutPad: number,
    outPlane: number,
    taps: number,
    pairStart: number,
    pairs: number,
    weights: number,
    bias: number,
    lists: number,
    counts: number,
    levels: number,
  ): void;
  poolSpikes(events: number, count: number, window: number, pooled: number, outPer: number, divisor: number, touched: number): number;
  denseEvents(x: number, y: number, rows: number, inPer: number, outPer: number, outPad: number, weights: number, bias: number, index: number, value: number): void;
}

/** The parts of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

// Both src/runtime/wasm/ (tests) and dist/runtime/wasm/ are three levels below the package root.
const WASM_FILE = fileURLToPath(new URL('../../../dist/wasm/kernels.wasm', import.meta.url));

let compiled: WasmModule | null | undefined;

/** The compiled module, or null when it was not built. */
export function kernelModule(): WasmModule | null {
  if (compiled === undefined) compiled = fs.existsSync(WASM_FILE) ? new wasm.Module(fs.readFileSync(WASM_FILE)) : null;
  return compiled ?? null;
}

/** Whether the WebAssembly kernels are there (else the JavaScript ones run). */
export function wasmAvailable(): boolean {
  return kernelModule() !== null;
}

const PAGE = 65536;

/**
 * One instance of the kernels with its own memory, laid out by the caller in named regions.
 * Regions are placed in the order first given; growing a region moves the ones after it
 * (their contents are not kept), and every typed-array view must be taken again after
 * layout() (growing the memory detaches the old ones).
 */
export class KernelArena {
  readonly exports: KernelExports;
  private readonly memory: WasmMemory;
  private readonly offsets = new Map<string, number>();
  private readonly sizes = new Map<string, number>();

  private constructor(module: WasmModule) {
    this.memory = new wasm.Memory({ initial: 1 });
    this.exports = new wasm.Instance(module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
  }

  static create(): KernelArena | null {
    const module = kernelModule();
    return module === null ? null : new KernelArena(module);
  }

  /**
   * Sets region sizes in bytes (regions not named keep theirs). Returns true when any offset
   * moved or the memory grew: then views taken before are stale.
   */
  layout(bytes: Record<string, number>): boolean {
    let changed = false;
    for (const [name, size] of Object.entries(bytes)) {
      if ((this.sizes.get(name) ?? -1) < size) {
        this.sizes.set(name, size);
        changed = true;
      }
    }
    if (!changed) return false;
    let at = 0;
    for (const [name, size] of this.sizes) {
      this.offsets.set(name, at);
      at += Math.ceil(size / 16) * 16;
    }
    const have = this.memory.buffer.byteLength;
    if (at > have) this.memory.grow(Math.ceil((at - have) / PAGE));
    return true;
  }

  /** The memory's current buffer (a new one after the memory grew). */
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Byte address of a region. */
  at(name: string): number {
    return this.offsets.get(name)!;
  }

  f32(name: string, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, this.at(name), length);
  }

  i32(name: string, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.at(name), length);
  }

  /** `length` int32 at byte address `at`. */
  i32view(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }
}
