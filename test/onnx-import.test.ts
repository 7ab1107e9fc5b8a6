/**
 * The loader against onnxruntime: each fixture (exported by PyTorch, fixtures/make_onnx_fixtures.py)
 * runs on onnxruntime as the reference; snnc's import of the same file, exported back to ONNX,
 * must give the same outputs on the same inputs (to 1e-5 of the output's magnitude; where the
 * original ends in a softmax that snnc drops, the softmax of snnc's output is compared).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { importOnnx } from '../src/io/onnx/import.js';
import { decodeModel, onnx } from '../src/io/onnx/proto.js';
import { sizeOf } from '../src/ir/tensor.js';
import { verify } from '../src/ir/verify.js';
import { snnc } from './helpers/cli.js';
import { maxAbs, maxAbsDiff, randomArray, runOnnxFile } from './helpers/ort.js';
import { errorOf } from './helpers/errors.js';

const fixture = (name: string) => path.join('fixtures/onnx', name);
const BATCH = 7;

async function loadAnn(file: string): Promise<LoadedAnn> {
  const loaded = await loadModel(file);
  if (loaded.kind !== 'ann') throw new Error('expected an ANN');
  return loaded;
}

/** Row-wise softmax of [rows, n]. */
function softmax(x: Float32Array, rows: number): Float32Array {
  const n = x.length / rows;
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const m = Math.max(...row);
    const e = Array.from(row, (v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, i) => (out[r * n + i] = v / s));
  }
  return out;
}

describe.each([
  ['convnet.onnx', [1, 18, 18]],
  ['convnet-opset9.onnx', [1, 18, 18]],
  ['matmul.onnx', [1, 8, 8], 'softmax'],
  ['residual.onnx', [2, 6, 6]],
  ['shortcut-a.onnx', [2, 7, 7]],
  ['shortcut-a-folded.onnx', [2, 7, 7]],
  ['padpool.onnx', [2, 9, 9]],
  ['padpool-opset9.onnx', [2, 9, 9]],
  ['padpool-opset7.onnx', [2, 9, 9]],
  ['bn-after-relu.onnx', [1, 14, 14]],
  ['bn-after-relu-opset7.onnx', [1, 14, 14]],
  ['input-norm.onnx', [2, 8, 8]],
  ['input-scale.onnx', [1, 6, 6]],
  ['gemm.onnx', [1, 6, 6]],
  ['mobile.onnx', [2, 11, 11]],
  ['mobile-opset17.onnx', [2, 11, 11]],
  ['view.onnx', [1, 7, 7]],
  ['view-opset7.onnx', [1, 7, 7]],
  ['opset21.onnx', [2, 6, 6], 'softmax'],
] as [string, number[], string?][])('%s', (name, shape, ending) => {
  it('matches onnxruntime on the original file', async () => {
    const loaded = await loadAnn(fixture(name));
    expect(verify(loaded.graph)).toEqual([]);
    expect(loaded.graph.input.shape).toEqual(shape);
    const x = randomArray(BATCH * sizeOf(shape), 42);
    // onnxruntime's own Pad fusion trips over PyTorch's opset-9 ceil-mode pads: run the original as written.
    const reference = await runOnnxFile(fixture(name), x, [BATCH, ...shape], { graphOptimizationLevel: 'disabled' });
    const raw = await runOnnxFile(exportOnnx(loaded.graph), x, [BATCH, ...shape]);
    const ours = ending === 'softmax' ? softmax(raw, BATCH) : raw;
    expect(maxAbsDiff(ours, reference)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(reference)));
  });
});

describe('folds and layout changes in the loader log', () => {
  const cases: [string, RegExp[], number][] = [
    ['convnet.onnx', [/folded affine '\/bn1\/BatchNormalization' into conv '\/conv1\/Conv'/], 0],
    [
      'padpool.onnx',
      [
        /Conv '\/conv\/Conv': folded Pad '\/Pad' into its pads, now \[0,1,1,2\]/,
        /AveragePool '\/AveragePool': folded Pad '\/Pad_1' into its pads, now \[1,1,0,0\], count_include_pad 1, ceil_mode 0/,
        /MaxPool '\/MaxPool': folded Pad '\/Pad_3'/,
        /folded \d+ nodes computing constants \(.*ConstantOfShape.*Slice.*Transpose/,
      ],
      0,
    ],
    // PyTorch before opset 10: Pad + AveragePool with uncounted end pads emulating ceil_mode.
    ['padpool-opset9.onnx', [/AveragePool '\/AveragePool_1': folded Pad '\/Pad_2' into its pads, now \[1,1,1,1\], count_include_pad 1, ceil_mode 1/], 0],
    [
      'bn-after-relu.onnx',
      [
        /folded affine '\/bn1\/BatchNormalization' forward into conv '\/conv2\/Conv'/,
        /folded affine '\/bn3\/BatchNormalization' forward into dense '\/fc1\/Gemm' \(through avgpool '\/AveragePool', flatten '\/Flatten'\)/,
        /folded affine '\/bn4\/BatchNormalization' forward into dense '\/fc2\/Gemm'/,
        /kept affine '\/bn2\/BatchNormalization' as an explicit layer: conv '\/conv3\/Conv' pads with zeros/,
      ],
      1,
    ],
    ['input-norm.onnx', [/folded affine '\/Div' into affine '\/Sub'/, /kept affine '\/Sub' as an explicit layer: conv '\/conv\/Conv' pads/], 1],
    ['input-scale.onnx', [/folded affine '\/Mul' forward into conv '\/conv\/Conv'/], 0],
    ['bn-after-relu-opset7.onnx', [/26 initializers also listed as graph inputs .* read as constants/], 1],
    ['view.onnx', [/Reshape '\/Reshape': target computed from the input's shape, folded to \[N,27\]/, /Shape, .*Gather.*Unsqueeze x2, Concat/], 0],
    ['mobile.onnx', [/Conv '\/dw\/Conv': folded Pad '\/Pad' into its pads, now \[0,0,1,1\]/, /GlobalMaxPool '\/GlobalMaxPool': read as MaxPool 4x4/], 0],
    [
      'opset21.onnx',
      [
        /Conv 'conv': folded Pad 'pad' into its pads, now \[1,0,1,2\]/,
        /Gemm 'fc': B \[27,5\] transposed to a dense weight \[5,27\]/,
        /folded 7 nodes computing constants \(Constant x6, Reshape\)/,
        /folded affine 'scale_input' forward into conv 'conv'/,
      ],
      0,
    ],
  ];
  it.each(cases)('%s', async (name, patterns, affines) => {
    const loaded = await loadAnn(fixture(name));
    const log = loaded.log.join('\n');
    for (const p of patterns) expect(log).toMatch(p);
    expect(loaded.graph.nodes.filter((n) => n.op === 'affine')).toHaveLength(affines);
  });
});

describe('snnc inspect', () => {
  it('prints what loading did, one line per fold, removal and layout change', async () => {
    const r = await snnc(['inspect', fixture('bn-after-relu.onnx')]);
    expect(r.code).toBe(0);
    const loading = r.stdout.split('\n\nloading:\n')[1]!.trimEnd().split('\n');
    expect(loading).toEqual([
      '  ONNX opset 13, produced by pytorch 1.13.0',
      "  Pad '/Pad': removed (all pads are zero)",
      '  folded 1 node computing constants (Constant) at load time',
      "  fold-affine-forward: folded affine '/bn1/BatchNormalization' forward into conv '/conv2/Conv'",
      "  fold-affine-forward: folded affine '/bn3/BatchNormalization' forward into dense '/fc1/Gemm' (through avgpool '/AveragePool', flatten '/Flatten')",
      "  fold-affine-forward: folded affine '/bn4/BatchNormalization' forward into dense '/fc2/Gemm'",
      "  fold-affine-forward: kept affine '/bn2/BatchNormalization' as an explicit layer: conv '/conv3/Conv' pads with zeros, which a folded shift would turn into non-zeros",
    ]);
    const json = JSON.parse((await snnc(['inspect', fixture('bn-after-relu.onnx'), '--json', '-'])).stdout) as { log: string[] };
    expect(json.log).toEqual(loading.map((l) => l.trim()));
  });
});

describe('unsupported models', () => {
  it('names every refused activation at once, with node names and reasons', async () => {
    const err = await errorOf(() => loadModel(fixture('tanh.onnx')));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('2 unsupported nodes');
    expect(err.message).toMatch(/'\/Tanh' \(Tanh\): tanh/);
    expect(err.message).toMatch(/'\/Sigmoid' \(Sigmoid\): sigmoid/);
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('exits 2 with one line on stderr and nothing on stdout', async () => {
    const r = await snnc(['inspect', fixture('refused.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderrLines[0]).toMatch(/^snnc: fixtures\/onnx\/refused\.onnx: 3 unsupported nodes: /);
  });

  it('names a reflect Pad, a leaky ReLU and a product of data tensors in one message', async () => {
    const err = await errorOf(() => loadModel(fixture('refused.onnx')));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/^fixtures\/onnx\/refused\.onnx: 3 unsupported nodes: /);
    expect(err.message).toMatch(/'\/Pad' \(Pad\): mode reflect/);
    expect(err.message).toMatch(/'\/LeakyRelu' \(LeakyRelu\): leaky ReLU has negative outputs/);
    expect(err.message).toMatch(/'\/Mul_1' \(Mul\): Mul of two data tensors/);
  });
});

describe('input preprocessing declared in the metadata', () => {
  const withMetadata = (props: Record<string, string>): Uint8Array => {
    const model = decodeModel(new Uint8Array(fs.readFileSync(fixture('residual.onnx'))));
    model.metadataProps = Object.entries(props).map(([key, value]) => ({ key, value }));
    return onnx.ModelProto.encode(model).finish();
  };

  it('reads input_mean / input_std / input_scale as numbers per channel', () => {
    const r = importOnnx(withMetadata({ input_mean: '0.5, 0.25', input_std: '2,4', input_scale: '0.5', other: 'x' }));
    expect(r.preprocess).toEqual({ mean: [0.5, 0.25], std: [2, 4], scale: 0.5 });
    expect(importOnnx(withMetadata({ other: 'x' })).preprocess).toBeUndefined();
  });

  it.each([
    [{ input_std: '0.2,0' }, /metadata input_std '0\.2,0': a standard deviation of 0/],
    [{ input_mean: '0.1,abc' }, /metadata input_mean '0\.1,abc': expected comma-separated numbers/],
    [{ input_scale: '1,2' }, /metadata input_scale '1,2': expected one number/],
  ])('refuses %o in one line', async (props, message) => {
    const err = await errorOf(async () => importOnnx(withMetadata(props)));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(message);
  });
});
