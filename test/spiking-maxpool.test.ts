/** Spiking max pooling against spike trains worked out by hand. */
import { expect, it } from 'vitest';
import type { PoolNode } from '../src/ir/graph.js';
import { spikingMaxPool } from '../src/runtime/spiking-maxpool.js';

const POOL: PoolNode = { name: 'p', op: 'maxpool', inputs: ['x'], output: 'y', kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceilMode: false, countIncludePad: false };

it('passes the spikes of the input with the largest count so far', () => {
  // One 2x2 window, 6 steps. Input a fires at steps 1, 3, 5; b at 2, 3, 4, 5, 6; c, d never.
  const a = [1, 0, 1, 0, 1, 0];
  const b = [0, 1, 1, 1, 1, 1];
  const spikes = new Float32Array(6 * 4);
  for (let t = 0; t < 6; t++) spikes.set([a[t]!, b[t]!, 0, 0], t * 4);
  const out = spikingMaxPool(POOL, { channels: 1, inH: 2, inW: 2, outH: 1, outW: 1 }, spikes, 6, 1);
  // Counts (a, b) after each step: (1,0) (1,1) (2,2) (2,3) (3,4) (3,5): the maximum grows at every step.
  expect(Array.from(out)).toEqual([1, 0, 1, 1, 1, 1]);
  // The output count equals the largest input count: 5 = b's count.
  expect(out.reduce((s, v) => s + v, 0)).toBe(5);
});

it('keeps windows, channels and batch samples apart', () => {
  // 2 samples x 2 channels x 2x4 input -> 2 windows per channel; one step.
  const x = new Float32Array(2 * 2 * 8);
  x[0 * 16 + 0 * 8 + 5] = 1; // sample 0, channel 0, row 1, col 1 -> window 0
  x[1 * 16 + 1 * 8 + 3] = 1; // sample 1, channel 1, row 0, col 3 -> window 1
  const out = spikingMaxPool(POOL, { channels: 2, inH: 2, inW: 4, outH: 1, outW: 2 }, x, 1, 2);
  expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 0, 0, 1]);
});
