/** Which layers each calibration simulation measures, against schedules written out by hand. */
import { describe, expect, it } from 'vitest';
import { calibrationRounds } from '../src/convert/calibrate.js';

const names = (rounds: { measured: string[]; firstFrom: number }[]) => rounds.map((r) => `${r.measured.slice(0, r.firstFrom).join('')}|${r.measured.slice(r.firstFrom).join('')}`);

describe('calibration rounds', () => {
  it('layer by layer: one simulation per layer, nothing measured twice', () => {
    expect(names(calibrationRounds(['a', 'b', 'c'], { revisit: false }))).toEqual(['|a', '|b', '|c']);
  });

  it('revisit: each simulation tops up the layer before, one more tops up the last', () => {
    expect(names(calibrationRounds(['a', 'b', 'c'], { revisit: true }))).toEqual(['|a', 'a|b', 'b|c', 'c|']);
  });

  it('groups of 2 with revisit: 5 layers in 4 simulations, each layer corrected twice', () => {
    expect(names(calibrationRounds(['a', 'b', 'c', 'd', 'e'], { revisit: true, group: 2 }))).toEqual(['|ab', 'ab|cd', 'cd|e', 'e|']);
    expect(names(calibrationRounds(['a', 'b', 'c', 'd', 'e'], { revisit: false, group: 2 }))).toEqual(['|ab', '|cd', '|e']);
  });
});
