/**
 * Fuzzing the IDX dataset reader in-process: byte-level mutations of plain and gzipped image
 * and label files, header fields set to boundary values, valid gzip around corrupt content,
 * and decompression bombs (a small header declaring little, followed by megabytes of
 * zeros). Every case must end in a dataset or a user error naming one of the two files.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/io/data/registry.js';
import { idxBytes } from '../helpers/idx.js';
import { fuzzDir, outcomeOf, printMessages, runs, SEED, Tally } from './harness.js';
import { byteMutation, interestingInt, mutateBytes } from './mutate.js';

const dir = fuzzDir('idx');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const N = 12;
// Plain copies: idxBytes returns a Buffer, whose slice() would be a view into shared memory.
const SOURCES = {
  images3: new Uint8Array(idxBytes([N, 5, 4], Uint8Array.from({ length: N * 20 }, (_, i) => (i * 37) % 256))),
  images4: new Uint8Array(idxBytes([N, 3, 3, 2], Uint8Array.from({ length: N * 18 }, (_, i) => (i * 11) % 256))),
  labels: new Uint8Array(idxBytes([N], Uint8Array.from({ length: N }, (_, i) => i % 10))),
};
const gz = (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b, { level: 1 }));
/** Decompression bombs by declared size and KiB of zeros (gzipping megabytes takes a while: once each). */
const bombs = new Map<string, Uint8Array>();

type Target = 'images' | 'labels';
type IdxCase =
  | { kind: 'bytes'; target: Target; gzip: boolean; rank4: boolean; ms: Parameters<typeof mutateBytes>[1][] }
  | { kind: 'content'; target: Target; rank4: boolean; ms: Parameters<typeof mutateBytes>[1][] }
  | { kind: 'dim'; target: Target; gzip: boolean; rank4: boolean; dim: number; value: number }
  | { kind: 'bomb'; target: Target; declared: number; zerosKiB: number };

const target = fc.constantFrom<Target>('images', 'labels');
const mutations = fc.array(byteMutation, { minLength: 1, maxLength: 3 });
const idxCase: fc.Arbitrary<IdxCase> = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), target, gzip: fc.boolean(), rank4: fc.boolean(), ms: mutations }),
  fc.record({ kind: fc.constant('content' as const), target, rank4: fc.boolean(), ms: mutations }),
  fc.record({ kind: fc.constant('dim' as const), target, gzip: fc.boolean(), rank4: fc.boolean(), dim: fc.nat(4), value: interestingInt }),
  fc.record({ kind: fc.constant('bomb' as const), target, declared: fc.constantFrom(0, 12, 20), zerosKiB: fc.constantFrom(64, 1024, 16384) }),
);

/** Writes the two files of a case; returns their paths. */
function writeCase(c: IdxCase): { images: string; labels: string } {
  const files = { images: path.join(dir, 'images.idx'), labels: path.join(dir, 'labels.idx') };
  const rank4 = 'rank4' in c && c.rank4;
  const plain = { images: rank4 ? SOURCES.images4 : SOURCES.images3, labels: SOURCES.labels };
  const out: Record<Target, Uint8Array> = { ...plain };
  switch (c.kind) {
    case 'bytes':
      out[c.target] = c.ms.reduce(mutateBytes, c.gzip ? gz(plain[c.target]) : plain[c.target]);
      break;
    case 'content':
      out[c.target] = gz(c.ms.reduce(mutateBytes, plain[c.target]));
      break;
    case 'dim': {
      const b = plain[c.target].slice();
      const rank = b[3]!;
      new DataView(b.buffer).setUint32(4 + 4 * (c.dim % rank), c.value >>> 0, false);
      out[c.target] = c.gzip ? gz(b) : b;
      break;
    }
    case 'bomb': {
      const key = `${c.declared}:${c.zerosKiB}`;
      if (!bombs.has(key)) bombs.set(key, gz(Buffer.concat([idxBytes([c.declared], new Uint8Array(0)), new Uint8Array(c.zerosKiB * 1024)])));
      out[c.target] = bombs.get(key)!;
      break;
    }
  }
  fs.writeFileSync(files.images, out.images);
  fs.writeFileSync(files.labels, out.labels);
  return files;
}

describe('IDX reader under fuzzing', () => {
  it('mutated, re-gzipped, resized and bomb files load or fail with a user error naming the file', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(idxCase, (c) => {
        const files = writeCase(c);
        tally.add(outcomeOf([files.images, files.labels], () => loadDataset(`idx:${files.images},${files.labels}`), c));
      }),
      { seed: SEED, numRuns: runs(1500) },
    );
    printMessages(`IDX: ${tally.ok} loaded, ${tally.user} refused`);
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.user).toBeGreaterThan(tally.ok);
  });
});
