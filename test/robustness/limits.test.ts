/**
 * --max-memory and declared sizes: sizes parsed and shown in binary units; files, tensors,
 * IDX headers and per-sample value shapes refused before anything is allocated; gzip
 * inflated no further than the IDX header declares; pipes and devices read within the limit.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseIdx } from '../../src/io/data/idx.js';
import { importOnnx } from '../../src/io/onnx/import.js';
import { formatBytes, parseByteSize } from '../../src/util/memory-limit.js';
import { readFileBytes } from '../../src/util/read-file.js';
import { idxBytes, tempDir } from '../helpers/idx.js';
import { snnc } from './cli.js';
import { editOnnx } from './onnx-edit.js';

const MiB = 2 ** 20;
const dir = tempDir('snnc-limits-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  throw new Error('expected a user error');
}

describe('sizes', () => {
  it.each([
    ['512M', 512 * MiB],
    ['4G', 4 * 2 ** 30],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['64kb', 64 * 1024],
    ['1000', 1000],
    [' 2 g ', 2 * 2 ** 30],
  ])('parses %j as %d bytes', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));

  it.each(['', 'abc', '1e3', '-1', '5Q', '1.2.3', 'G'])('refuses %j', (text) => expect(parseByteSize(text)).toBeNull());

  it('formats sizes in binary units', () => {
    expect([500, 1536, 5 * MiB, 11.8 * 2 ** 30].map(formatBytes)).toEqual(['500 bytes', '1.5 KiB', '5 MiB', '11.8 GiB']);
  });
});

describe('--max-memory on the command line', () => {
  it.each([
    [['--max-memory', '1K', 'inspect', 'fixtures/onnx/convnet.onnx']],
    [['inspect', 'fixtures/onnx/convnet.onnx', '--max-memory', '1K']],
  ])('before or after the command: %j refuses a 4.9 KiB model in one line, exit 2', async (args) => {
    const r = await snnc(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('snnc: fixtures/onnx/convnet.onnx: reading the file needs 4.9 KiB, more than --max-memory 1 KiB\n');
  });

  it('accepts the model under a limit it fits', async () => {
    const r = await snnc(['inspect', 'fixtures/onnx/convnet.onnx', '--max-memory', '1M']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses a malformed size in one line', async () => {
    const r = await snnc(['inspect', 'fixtures/onnx/convnet.onnx', '--max-memory', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("snnc: --max-memory: 'lots' is not a memory size (e.g. 512M, 4G)\n");
  });

  it('shows the default in every command\'s help', async () => {
    const r = await snnc(['eval', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/--max-memory <size> .*default: half of this machine's memory, [\d.]+ [KMGT]iB\)/);
  });
});

describe('declared sizes are checked before allocating', () => {
  it('a tensor larger than --max-memory, naming the initializer', () => {
    // fc1.weight is 16 x 24 float32 = 1.5 KiB; the initializers before it take 1112 bytes.
    expect(userError(() => importOnnx(fs.readFileSync('fixtures/onnx/convnet.onnx'), { maxMemoryBytes: 1200 }))).toBe(
      "initializer 'fc1.weight' needs 1.5 KiB, more than --max-memory 1.2 KiB",
    );
  });

  it('initializers that together exceed --max-memory', () => {
    expect(userError(() => importOnnx(fs.readFileSync('fixtures/onnx/convnet.onnx'), { maxMemoryBytes: 1024 }))).toBe(
      "the model's weights up to initializer 'conv2.weight' need 1.1 KiB, more than --max-memory 1 KiB",
    );
  });

  it('a tensor whose dims claim far more elements than its data holds', () => {
    const bytes = editOnnx('convnet.onnx', (m) => (m.graph!.initializer!.find((i) => i.name === 'fc1.weight')!.dims = [65536, 65536]));
    expect(userError(() => importOnnx(bytes))).toBe(
      `initializer 'fc1.weight': raw_data holds 1536 bytes, dims [65536,65536] of FLOAT need ${2 ** 34}`,
    );
    const beyond = editOnnx('convnet.onnx', (m) => (m.graph!.initializer!.find((i) => i.name === 'fc1.weight')!.dims = [2 ** 31, 2 ** 31, 4]));
    expect(userError(() => importOnnx(beyond))).toBe(`initializer 'fc1.weight': dims [2147483648,2147483648,4] describe ${2 ** 64} elements, too many`);
  });

  it('a graph input whose one sample would not fit, naming the input', () => {
    const bytes = editOnnx('convnet.onnx', (m) => {
      const dims = m.graph!.input![0]!.type!.tensorType!.shape!.dim!;
      dims[2]!.dimValue = 100000;
      dims[3]!.dimValue = 100000;
    });
    expect(userError(() => importOnnx(bytes, { maxMemoryBytes: 64 * MiB }))).toBe(
      "input 'input': shape [1,100000,100000] for one sample needs 37.3 GiB, more than --max-memory 64 MiB",
    );
  });

  it('a layer whose output for one sample would not fit (huge padding), naming the node', () => {
    const bytes = editOnnx('convnet.onnx', (m) => {
      const pads = m.graph!.node!.find((n) => n.name === '/conv1/Conv')!.attribute!.find((a) => a.name === 'pads')!;
      pads.ints = [50000, 50000, 50000, 50000];
    });
    expect(userError(() => importOnnx(bytes, { maxMemoryBytes: 64 * MiB }))).toMatch(/^node \/conv1\/Conv \(conv\): shape \[4,100016,100016\] for one sample needs 149 GiB, more than --max-memory 64 MiB$/);
  });

  it('a gzipped IDX header declaring more than --max-memory, before inflating anything', () => {
    const gz = zlib.gzipSync(idxBytes([1000, 1000, 1000], new Uint8Array(10)));
    expect(userError(() => parseIdx('big.idx.gz', gz, 64 * MiB))).toBe(
      'big.idx.gz: IDX header declares [1000,1000,1000], which needs 954 MiB, more than --max-memory 64 MiB',
    );
  });

  it('a gzip bomb stops where the IDX header says the data ends', () => {
    // 28 bytes declared ([16] plus a 12-byte header), 64 MiB of zeros behind it.
    const bomb = zlib.gzipSync(Buffer.concat([idxBytes([16], new Uint8Array(16)), Buffer.alloc(64 * MiB)]));
    expect(bomb.length).toBeLessThan(MiB / 8);
    expect(userError(() => parseIdx('bomb.idx.gz', bomb))).toBe('bomb.idx.gz: inflates to more than the 24 bytes its IDX header [16] declares');
  });

  it('a gzipped file whose data is shorter than its header declares', () => {
    const gz = zlib.gzipSync(idxBytes([1000, 28, 28], new Uint8Array(100)));
    expect(userError(() => parseIdx('short.idx.gz', gz))).toBe(
      'short.idx.gz: IDX header declares [1000,28,28] = 784000 bytes of data, the file holds 100',
    );
  });

  it('a gzipped IDX file that fits loads as before', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const idx = parseIdx('ok.idx.gz', zlib.gzipSync(idxBytes([2, 3, 4], data)));
    expect(idx.dims).toEqual([2, 3, 4]);
    expect(Array.from(idx.bytes.subarray(idx.offset))).toEqual(Array.from(data));
  });
});

describe('files that are not regular files', () => {
  it.skipIf(!fs.existsSync('/dev/zero'))('an endless device is refused before a byte is read', () => {
    expect(userError(() => readFileBytes('/dev/zero'))).toBe('/dev/zero: is a device, expected a regular file');
  });

  it('a folder, a missing file, a path through a file', () => {
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'x');
    expect(userError(() => readFileBytes(dir))).toBe(`${dir}: is a folder, expected a regular file`);
    expect(userError(() => readFileBytes(path.join(dir, 'missing.onnx')))).toBe(`${path.join(dir, 'missing.onnx')}: no such file`);
    expect(userError(() => readFileBytes(path.join(file, 'x.onnx')))).toBe(`${path.join(file, 'x.onnx')}: a part of the path is not a directory`);
  });
});
