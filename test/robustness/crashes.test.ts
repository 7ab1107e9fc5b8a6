/**
 * Inputs that used to crash snnc (exit 70, or a V8 abort) where a one-line user error is due:
 * constant folding with inconsistent lists, kernel shapes computed by folding that no kernel
 * can run, attributes of the wrong type. Each is refused by importOnnx with a UserError that
 * names the node, and through the binary with exit 2 and one line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { importOnnx } from '../../src/io/onnx/import.js';
import { buildOnnx, type BuildInit, type BuildNode } from '../helpers/onnx-build.js';
import { tempDir } from '../helpers/idx.js';
import { snnc } from './cli.js';

const dir = tempDir('snnc-crashes-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const weights = (name: string, dims: number[]): BuildInit => ({ name, dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i % 5) / 5) });
const ints = (name: string, values: number[]): BuildInit => ({ name, dims: [values.length], values, int: true });

function refused(nodes: BuildNode[], inits: BuildInit[], input = [1, 6, 6]): string {
  try {
    importOnnx(buildOnnx(input, nodes, inits));
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('importOnnx accepted the model');
}

describe('constant folding', () => {
  it.each([
    ['starts longer than ends', [0, 0], [2], undefined],
    ['axes shorter than starts', [0, 0], [2, 1], [0]],
    ['an axis twice', [0, 0], [2, 1], [0, 0]],
  ])('a Slice with %s is refused naming the lists', (_, starts, ends, axes) => {
    const inits = [weights('w0', [2, 1, 3, 3]), ints('starts', starts), ints('ends', ends), ...(axes ? [ints('axes', axes)] : [])];
    const message = refused(
      [
        { op: 'Slice', inputs: ['w0', 'starts', 'ends', ...(axes ? ['axes'] : [])], output: 'w' },
        { op: 'Conv', inputs: ['x', 'w'], output: 'y', attrs: { kernel_shape: [3, 3] } },
      ],
      inits,
    );
    expect(message).toMatch(/n0 \(Slice\).*(one value per sliced axis|name an axis twice)/);
  });
});

describe('kernel shapes', () => {
  it('a Conv weight reshaped to negative dims [2,1,-3,-3] is refused before onnxruntime sees it', () => {
    const message = refused(
      [
        { op: 'Reshape', inputs: ['w0', 'shape'], output: 'w' },
        { op: 'Conv', inputs: ['x', 'w'], output: 'y' },
      ],
      [weights('w0', [18]), ints('shape', [2, 1, -3, -3])],
    );
    expect(message).toMatch(/-3/);
  });

  it('a Conv with zero output channels is refused', () => {
    const message = refused([{ op: 'Conv', inputs: ['x', 'w'], output: 'y', attrs: { kernel_shape: [3, 3] } }], [{ name: 'w', dims: [0, 1, 3, 3], values: [] }]);
    expect(message).toMatch(/weight|channels|dims|shape/);
  });

  it('a Conv group given as a list is named as such, not read as group 0', () => {
    const message = refused([{ op: 'Conv', inputs: ['x', 'w'], output: 'y', attrs: { group: [1] } }], [weights('w', [2, 1, 3, 3])]);
    expect(message).toMatch(/attribute group: expected an integer, got type INTS/);
    expect(message).not.toMatch(/group 0/);
  });
});

describe('through the binary', () => {
  it('a folded negative kernel: exit 2, one line naming the file and the node', async () => {
    const file = path.join(dir, 'negative-kernel.onnx');
    fs.writeFileSync(
      file,
      buildOnnx(
        [1, 6, 6],
        [
          { op: 'Reshape', inputs: ['w0', 'shape'], output: 'w' },
          { op: 'Conv', inputs: ['x', 'w'], output: 'y' },
        ],
        [weights('w0', [18]), ints('shape', [2, 1, -3, -3])],
      ),
    );
    const r = await snnc(['inspect', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
  });
});
