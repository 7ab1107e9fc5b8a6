/** Which layers each calibration simulation measures, and gain calibration's per-channel correction, against values written out by hand. */
import { describe, expect, it } from 'vitest';
import { calibrationRounds, GainFit } from '../src/convert/calibrate.js';

describe('calibration rounds', () => {
  it('layer by layer: one simulation per layer', () => {
    expect(calibrationRounds(['a', 'b', 'c'], { group: 1 })).toEqual([['a'], ['b'], ['c']]);
  });

  it('groups of 2: 5 layers in 3 simulations, the last group shorter', () => {
    expect(calibrationRounds(['a', 'b', 'c', 'd', 'e'], { group: 2 })).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});

describe('gain calibration sums', () => {
  it('gain from the driven samples, the rest of the mean on v(0), by hand', () => {
    const fit = new GainFit(3);
    // Channel 0: driven samples fire at half their target, one silent sample fires anyway.
    for (let k = 0; k < 25; k++) {
      fit.add(0, 0.5, 0.25);
      fit.add(0, 0.25, 0.125);
      fit.add(0, 0, 0.0625);
      fit.add(0, 0, 0);
    }
    // Channel 1: too few driven samples (10 < 50) for a gain: the mean shift alone.
    for (let k = 0; k < 10; k++) fit.add(1, 0.5, 0.25);
    for (let k = 0; k < 90; k++) fit.add(1, 0, 0);
    // Channel 2: fires at 4x its target; the gain stops at alpha = 2.
    for (let k = 0; k < 100; k++) fit.add(2, 0.1, 0.4);
    // Sum of (target - rate) over each channel's 100 samples, as calibration accumulates it:
    // 25 (0.75 - 0.4375), 10 (0.5 - 0.25), 100 (0.1 - 0.4).
    const missing = Float64Array.of(7.8125, 2.5, -30);
    const { gain, delta } = fit.ratio(missing, 100);
    // alpha = (0.25 + 0.125) / (0.5 + 0.25) = 1/2; delta = 25 (0.75 - 0.4375 / (1/2)) / 100.
    expect(gain[0]).toBe(2);
    expect(delta[0]).toBeCloseTo(-0.03125, 7);
    expect(gain[1]).toBe(1);
    expect(delta[1]).toBeCloseTo((10 * 0.25) / 100, 7);
    // alpha = 2: rates read as 0.2 against 0.1 wanted.
    expect(gain[2]).toBe(0.5);
    expect(delta[2]).toBeCloseTo(-0.1, 7);
  });
});
