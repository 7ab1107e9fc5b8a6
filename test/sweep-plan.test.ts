/** The pure parts of sweeps and baselines, against hand-computed cases and properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gridKeys, parseGridFlag, parseShard } from '../src/cli/sweep.js';
import { paretoOptimal, stepsToReach } from '../src/eval/metrics.js';
import { expandGrid, mergeSweeps, normalizeGrid, shardOf, sweepFile, type SweepFile, type SweepResult } from '../src/eval/sweep.js';
import { sweepCsv } from '../src/report/csv.js';

describe('grid', () => {
  it('expands axes as nested loops, first axis slowest', () => {
    const c = expandGrid([
      { key: 'a', values: ['1', '2'] },
      { key: 'b', values: ['x', 'y', 'z'] },
    ]);
    expect(c.map((x) => x.label)).toEqual(['a=1 b=x', 'a=1 b=y', 'a=1 b=z', 'a=2 b=x', 'a=2 b=y', 'a=2 b=z']);
    expect(c.map((x) => x.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(expandGrid([])).toEqual([{ id: 0, params: {}, label: 'base' }]);
  });

  it('parses --grid with commas, or semicolons between values that hold commas', () => {
    expect(parseGridFlag('t-ref=0,1,2')).toEqual([{ key: 't-ref', values: ['0', '1', '2'] }]);
    expect(parseGridFlag('input-mean=0.1,0.2;0.3,0.4')).toEqual([{ key: 'input-mean', values: ['0.1,0.2', '0.3,0.4'] }]);
    expect(parseGridFlag('vInit=0.5')).toEqual([{ key: 'v-init', values: ['0.5'] }]);
    expect(() => parseGridFlag('percentile')).toThrow(/expected key=value1,value2/);
    expect(() => parseGridFlag('percentile=99,,100')).toThrow(/empty value/);
  });

  it('lets a later axis of the same key replace the values (config file, then flags)', () => {
    expect(normalizeGrid([{ key: 'a', values: ['1', '2'] }, { key: 'b', values: ['x'] }, { key: 'a', values: ['3'] }])).toEqual([
      { key: 'a', values: ['3'] },
      { key: 'b', values: ['x'] },
    ]);
    expect(() => normalizeGrid([{ key: 'a', values: ['1', '1'] }])).toThrow(/given twice/);
  });

  it('takes every conversion and preprocessing option as a key, not the data or timesteps', () => {
    const keys = gridKeys();
    for (const k of ['percentile', 'channelwise', 'calib-samples', 't-ref', 'reset', 'v-init', 'input-scale', 'input-mean']) expect(keys).toContain(k);
    for (const k of ['timesteps', 'data', 'limit', 'batch', 'out']) expect(keys).not.toContain(k);
  });

  it('splits into shards that are disjoint and cover the grid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), (size, n) => {
        const items = Array.from({ length: size }, (_, id) => ({ id }));
        const ids = Array.from({ length: n }, (_, i) => shardOf(items, { index: i + 1, count: n }).map((x) => x.id)).flat();
        expect(ids.sort((a, b) => a - b)).toEqual(items.map((x) => x.id));
      }),
    );
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('0/4')).toThrow(/1 <= i <= n/);
    expect(() => parseShard('1-4')).toThrow(/expected i\/n/);
  });
});

describe('metrics', () => {
  it('finds the first step reaching a target', () => {
    expect(stepsToReach([0.1, 0.3, 0.7, 0.9], 0.7)).toBe(3);
    expect(stepsToReach([0.1, 0.3], 0.5)).toBeNull();
    expect(stepsToReach([0.1 + 0.2], 0.3)).toBe(1);
  });

  it('marks the Pareto front of fewer steps and higher accuracy', () => {
    const points = [
      { steps: 4, accuracy: 0.9 }, // front: fastest
      { steps: 8, accuracy: 0.95 }, // front
      { steps: 8, accuracy: 0.93 }, // dominated by the one above
      { steps: 16, accuracy: 0.94 }, // dominated by (8, 0.95)
      { steps: 32, accuracy: 0.99 }, // front: most accurate
      { steps: 32, accuracy: 0.99 }, // tie: both on the front
    ];
    expect(paretoOptimal(points)).toEqual([true, true, false, false, true, true]);
  });
});

function result(id: number, params: Record<string, string>): SweepResult {
  return {
    id,
    label: Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' '),
    params,
    ann: { accuracy: 1 },
    snn: { accuracyByStep: [0.5, 1], finalAccuracy: 1, latency: { within1pp: 2, within0_1pp: 2 } },
    target: { accuracy: 0.99, steps: 2 },
    meanFiringRate: 0.1,
    conversion: {} as SweepResult['conversion'],
    preprocess: { scale: 1, mean: [0], std: [1] },
    layers: [],
  };
}

const HEADER = { model: 'm.onnx', dataset: 'mnist', samples: 10, timesteps: 2, target: null, grid: [{ key: 'input-mean', values: ['0,0', '0.5'] }], configurations: 2 };

describe('results', () => {
  it('merges in id order and refuses parts of different sweeps', () => {
    const a = sweepFile(HEADER, [result(1, { 'input-mean': '0.5' })], { index: 2, count: 2 });
    const b = sweepFile(HEADER, [result(0, { 'input-mean': '0,0' })], { index: 1, count: 2 });
    const merged = mergeSweeps([{ file: 'a', sweep: a }, { file: 'b', sweep: b }], true);
    expect(merged.results.map((r) => r.id)).toEqual([0, 1]);
    expect('shard' in merged).toBe(false);
    const other: SweepFile = { ...b, timesteps: 4 };
    expect(() => mergeSweeps([{ file: 'a', sweep: a }, { file: 'c', sweep: other }], true)).toThrow(/c: timesteps is 4, a has 2: not shards of one sweep/);
  });

  it('quotes CSV fields that hold commas (RFC 4180)', () => {
    const csv = sweepCsv(sweepFile(HEADER, [result(0, { 'input-mean': '0,0' }), result(1, { 'input-mean': '0.5' })]));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('id,input-mean,ann_accuracy,final_accuracy,target_accuracy,steps_to_target,steps_within_1pp,steps_within_0_1pp,mean_firing_rate,acc_t1,acc_t2');
    expect(lines[1]).toBe('0,"0,0",1,1,0.99,2,2,2,0.1,0.5,1');
    expect(lines[2]).toBe('1,0.5,1,1,0.99,2,2,2,0.1,0.5,1');
  });
});
