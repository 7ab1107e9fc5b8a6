/**
 * What each executor of a linear node costs, measured, and the input density at which the
 * event-driven one becomes the cheaper.
 *
 * Costs are ns of one core per multiply-add: for onnxruntime per dense multiply-add (every
 * input times every output it reaches), for an event-driven kernel per event multiply-add (a
 * non-zero input times the outputs it reaches). At input density d the event-driven kernel
 * does about d times the dense multiply-adds, so it is the cheaper below the crossover
 * density d* = ns(onnxruntime) / ns(events).
 *
 * Measured on the shipped MNIST CNN's layers over T = 32 steps of 54 test images (second conv
 * 32 -> 64 3x3 on 14x14 at 22.5% non-zero inputs, dense 3136 -> 128 at 11.9%), one thread,
 * best of five, process CPU time (2-core AMD EPYC, Node 20, onnxruntime-node 1.30, gcc 12;
 * load average 12 for onnxruntime and WebAssembly, 8 to 10 for native: the ratios are what
 * carry over). BENCHMARKS.md, "Cost per executor", has the
 * figures and the command. The constants are data, not measured at run time, so that every
 * run of a command picks the same executors and gives the same results.
 */
import type { Node } from '../../ir/graph.js';

/** ns per multiply-add by executor and node kind. */
export const NS_PER_MAC = {
  ort: { conv: 0.0224, dense: 0.0192 },
  /** WebAssembly SIMD (wasm/linear.ts): conv on inputs of few levels runs on product tables (adds only). */
  wasm: { conv: 0.135, convLevels: 0.117, dense: 0.246 },
  /** Native (native/linear.c: C, AVX-512 where the CPU has it): conv on inputs of few levels with product tables, as WebAssembly. */
  native: { conv: 0.0533, convLevels: 0.0497, dense: 0.0689 },
  /** Scalar JavaScript (sparse-conv.ts, sparse-dense.ts), where the WebAssembly kernels are not built: about one add per ns. */
  js: { conv: 1.0, dense: 1.0 },
} as const;

/** The event-driven executors: the kind of their LinearOp. */
export type EventExecutor = 'native' | 'wasm' | 'sparse';

/** The input density below which `events` (the node's event-driven kernel) is cheaper than onnxruntime. */
export function crossoverDensity(op: Node['op'], events: EventExecutor, levels: boolean): number {
  if (op !== 'conv' && op !== 'dense') return 0;
  const ort = NS_PER_MAC.ort[op];
  if (events === 'sparse') return ort / NS_PER_MAC.js[op];
  const costs = NS_PER_MAC[events];
  return ort / (op === 'conv' && levels ? costs.convLevels : costs[op]);
}
