/**
 * Bad inputs end in one line naming the file and what is wrong: non-finite weights (ONNX and
 * converted networks), weights that overflow when folded, names with control characters,
 * weight paths that leave the model's folder, tensors read twice from one weights file, and,
 * through the CLI, datasets that do not fit the model, label counts, unknown flags, bad values
 * and unsupported ops.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine, UserError } from '../../src/errors.js';
import { loadModel } from '../../src/convert/load-model.js';
import { idxBytes, tempDir } from '../helpers/idx.js';
import { convertedConvnet, snnc } from './cli.js';
import { editOnnx, setFloats } from './onnx-edit.js';

const dir = tempDir('snnc-inputs-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function loadError(file: string): Promise<string> {
  try {
    await loadModel(file);
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  throw new Error('expected a user error');
}

function writeOnnx(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

let data = '';
let snn = '';
beforeAll(async () => {
  ({ data, net: snn } = await convertedConvnet(dir, 20, 'convnet.snn.json'));
});

/** The converted network's manifest, edited, saved under a new name beside a copy of its weights. */
function editSnn(name: string, edit: (manifest: Record<string, any>, weights: Uint8Array) => Uint8Array | void): string {
  const manifest = JSON.parse(fs.readFileSync(snn, 'utf8'));
  let weights: Uint8Array = new Uint8Array(fs.readFileSync(snn.replace(/json$/, 'bin')));
  weights = edit(manifest, weights) ?? weights;
  const file = path.join(dir, `${name}.snn.json`);
  manifest.weights = {
    file: manifest.weights.file === 'convnet.snn.bin' ? `${name}.snn.bin` : manifest.weights.file,
    bytes: weights.length,
    sha256: crypto.createHash('sha256').update(weights).digest('hex'),
  };
  fs.writeFileSync(file, JSON.stringify(manifest));
  fs.writeFileSync(path.join(dir, `${name}.snn.bin`), weights);
  return file;
}

describe('weights', () => {
  it.each([NaN, Infinity, -Infinity])('an ONNX weight %s is refused, naming the tensor', async (v) => {
    const file = writeOnnx('nan.onnx', editOnnx('convnet.onnx', (m) => setFloats(m, 'conv2.weight', 7, [v])));
    expect(await loadError(file)).toBe(`${file}: initializer 'conv2.weight': value 7 is ${v} (weights must be finite)`);
  });

  it('weights that overflow float32 when BatchNorm is folded in are refused, naming the node', async () => {
    const file = writeOnnx('overflow.onnx', editOnnx('convnet.onnx', (m) => {
      setFloats(m, 'bn1.weight', 0, [3e38]);
      setFloats(m, 'conv1.weight', 0, [1e10]);
    }));
    expect(await loadError(file)).toMatch(/^.*overflow\.onnx: node \/conv1\/Conv \(conv\): weight\[0\] is Infinity after folding constants/);
  });

  it('a NaN in a converted network\'s weights (with a matching checksum) is refused, naming the node and tensor', async () => {
    const file = editSnn('nan', (_, w) => {
      const copy = w.slice();
      new DataView(copy.buffer).setFloat32(4 * 5, NaN, true);
      return copy;
    });
    expect(await loadError(file)).toMatch(/nan\.snn\.json: snn: invalid graph: node \/conv1\/Conv \(conv\): weight\[5\] is NaN$/);
  });

  it.each(['../convnet.snn.bin', '/etc/passwd', 'https://example.com/w.bin', 'sub/w.bin', '..', ''])(
    'a weights path that leaves the manifest\'s folder (%j) is refused',
    async (weightsFile) => {
      const file = editSnn('escape', (m) => void (m.weights.file = weightsFile));
      expect(await loadError(file)).toBe(`${file}: weights.file '${weightsFile}' must be a plain file name beside the manifest (no folders, no '..')`);
    },
  );

  it('tensors that read the same weights twice, beyond the file\'s size, are refused', async () => {
    // The reference ANN's tensors pointed at the spiking network's: twice the values the file holds.
    const file = editSnn('twice', (m, w) => {
      const floats = m.snn.nodes.flatMap((n: Record<string, any>) => ['weight', 'bias'].filter((k) => n[k]).map((k) => n[k].length)).reduce((a: number, b: number) => a + b, 0);
      let offset = 0;
      for (const n of m.ann.nodes) for (const k of ['weight', 'bias']) if (n[k]) (n[k].offset = offset), (offset += n[k].length);
      return w.slice(0, floats * 4);
    });
    expect(await loadError(file)).toMatch(/twice\.snn\.json: ann\.nodes\[\d+\]\.\w+: the tensors together reference \d+ values, the weights file holds \d+$/);
  });
});

describe('names read from files', () => {
  it('control characters and overlong names are escaped and shortened: one line whatever the file says', async () => {
    const file = writeOnnx('evil.onnx', editOnnx('convnet.onnx', (m) => {
      const node = m.graph!.node!.find((n) => n.name === '/Relu')!;
      node.opType = 'Evil\n\u001b[31mOp';
      node.name = `n\r\n${'x'.repeat(5000)}`;
    }));
    const message = await loadError(file);
    expect(message).not.toMatch(/[\n\r\u001b]/);
    expect(message).toContain("'n\\r\\nxxx");
    expect(message).toContain('(Evil\\n\\x1b[31mOp)');
    expect(message.length).toBeLessThan(400);
  });

  it('oneLine keeps head and tail of overlong text', () => {
    const s = oneLine(`${'a'.repeat(3000)}${'b'.repeat(3000)}`, 101);
    expect(s).toBe(`${'a'.repeat(48)} ... ${'b'.repeat(48)}`);
  });
});

describe('through the CLI: exit 2 and one line', () => {
  async function expectOneLine(args: string[], pattern: RegExp): Promise<void> {
    const r = await snnc(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toBe('');
  }

  it('a dataset whose images do not fit the model input', async () => {
    const images = path.join(dir, 'big-images.idx');
    const labels = path.join(dir, 'big-labels.idx');
    fs.writeFileSync(images, idxBytes([3, 28, 28], new Uint8Array(3 * 784)));
    fs.writeFileSync(labels, idxBytes([3], new Uint8Array(3)));
    await expectOneLine(['eval', snn, '--data', `idx:${images},${labels}`], /has images \[1,28,28\] \(CHW\), model .*convnet\.snn\.json expects input \[1,18,18\]$/m);
  });

  it('a label count that differs from the image count', async () => {
    const [, images] = /^idx:(.*),/.exec(data)!;
    const labels = path.join(dir, 'few-labels.idx');
    fs.writeFileSync(labels, idxBytes([19], new Uint8Array(19)));
    await expectOneLine(['eval', snn, '--data', `idx:${images},${labels}`], /few-labels\.idx: 19 labels for 20 images in /);
  });

  it('labels beyond the model\'s outputs', async () => {
    const [, images] = /^idx:(.*),/.exec(data)!;
    const labels = path.join(dir, 'ten-labels.idx');
    fs.writeFileSync(labels, idxBytes([20], Uint8Array.from({ length: 20 }, (_, i) => i % 10)));
    await expectOneLine(['eval', snn, '--data', `idx:${images},${labels}`], /label 5 of sample 5 is not a class of model .*, which has 5 outputs$/m);
  });

  it('a --batch whose inputs and outputs would not fit --max-memory', async () => {
    // convnet: 324 inputs and 5 outputs per sample, float32.
    await expectOneLine(['eval', snn, '--data', data, '--batch', '100000', '--max-memory', '8M'], /^snnc: --batch 100000: one batch of inputs and outputs needs 126 MiB, more than --max-memory 8 MiB\n$/);
  });

  it('a network whose spiking simulation of one sample would not fit --max-memory', async () => {
    await expectOneLine(['eval', snn, '--data', data, '--batch', '1', '--max-memory', '64K'], /^snnc: the spiking simulation of one sample needs [\d.]+ KiB, more than --max-memory 64 KiB\n$/);
  });

  it('an unknown flag, with commander\'s suggestion on the same line', async () => {
    await expectOneLine(['eval', snn, '--limt', '3'], /^snnc eval: unknown option '--limt' \(Did you mean --limit\?\)\n$/);
  });

  it('a bad flag value', async () => {
    await expectOneLine(['eval', snn, '--timesteps', '0'], /^snnc: --timesteps: 0 is below the minimum 1\n$/);
  });

  it('unsupported ops, all reported at once', async () => {
    await expectOneLine(['convert', 'fixtures/onnx/tanh.onnx', '--out', path.join(dir, 'tanh.snn.json')], /2 unsupported nodes: '\/Tanh' \(Tanh\): .*; '\/Sigmoid' \(Sigmoid\): /);
    expect(fs.existsSync(path.join(dir, 'tanh.snn.json'))).toBe(false);
  });
});
