/**
 * The reference check of a constant-current IF scan over a chunk of steps (scanIfSteps, in
 * the WebAssembly and the native kernels alike): after the scan has run on `arena`'s regions
 * z, v, counts, events (one row of n per step) and eventCounts, step() of snn/neuron.ts is run
 * from the same initial state `ref` on the same current, and every step's event list, the
 * counts, the total and the membranes must equal it. A group of four neurons below
 * `groupedBelow` that can never fire (z <= 0, v < threshold in every lane) is skipped by the
 * scan and keeps its v; so is a tail neuron on its own. Their spikes (none) are still compared.
 */
import { expect } from 'vitest';
import { step, type NeuronParams, type NeuronState } from '../../src/snn/neuron.js';
import type { KernelArena } from '../../src/runtime/wasm/module.js';

export function expectChunkScanEqualsStep(
  arena: KernelArena,
  p: NeuronParams,
  ref: NeuronState<Float32Array>,
  zs: Float32Array,
  total: number,
  steps: number,
  groupedBelow: number,
): void {
  const n = zs.length;
  const skipped = (i: number) => (i < groupedBelow ? [0, 1, 2, 3].map((j) => (i & ~3) + j) : [i]).every((j) => zs[j]! <= 0 && ref.v[j]! < p.vThreshold);
  const skip = Array.from({ length: n }, (_, i) => skipped(i));
  const out = new Float32Array(n);
  const counts = new Array<number>(n).fill(0);
  let spikes = 0;
  const eventCounts = arena.i32('eventCounts', steps);
  for (let t = 0; t < steps; t++) {
    step(p, ref, zs, 0, out, 0, n);
    const fired = [...out.keys()].filter((i) => out[i] === 1);
    for (const i of fired) counts[i]!++;
    spikes += fired.length;
    expect(Array.from(arena.i32view(arena.at('events') + t * n * 4, eventCounts[t]!))).toEqual(fired);
  }
  expect(total).toBe(spikes);
  expect(Array.from(arena.i32('counts', n))).toEqual(counts);
  const v = arena.f32('v', n);
  for (let i = 0; i < n; i++) if (!skip[i]) expect(v[i], `v of neuron ${i}`).toBe(ref.v[i]);
}
