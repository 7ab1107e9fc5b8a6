/** Which layers each calibration simulation measures, against schedules written out by hand. */
import { describe, expect, it } from 'vitest';
import { calibrationRounds } from '../src/convert/calibrate.js';

describe('calibration rounds', () => {
  it('layer by layer: one simulation per layer', () => {
    expect(calibrationRounds(['a', 'b', 'c'], { group: 1 })).toEqual([['a'], ['b'], ['c']]);
  });

  it('groups of 2: 5 layers in 3 simulations, the last group shorter', () => {
    expect(calibrationRounds(['a', 'b', 'c', 'd', 'e'], { group: 2 })).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});
