/**
 * The import pipeline's forward folding of affine maps (src/passes/fold-affine-forward.ts) on
 * hand-built IR graphs: onnxruntime runs the graph before the pass (the affine computed as
 * Mul + Add) as the reference for the graph after it. Also: which affines it folds, which it
 * keeps and why, verify() after every pass, and that no pass mutates its input.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/io/onnx/import.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import type { Graph, Node, Pads } from '../src/ir/graph.js';
import { sizeOf, tensor } from '../src/ir/tensor.js';
import { verify } from '../src/ir/verify.js';
import { foldAffineForward } from '../src/passes/fold-affine-forward.js';
import { importPipeline } from '../src/passes/pipelines.js';
import { maxAbs, maxAbsDiff, randomArray, runOnnxFile } from './helpers/ort.js';

let seed = 100;
const rand = (dims: number[], lo = -1, hi = 1) => tensor(dims, randomArray(sizeOf(dims), seed++, lo, hi));

function affine(name: string, input: string, channels: number, positive: boolean, shifted = true): Node {
  return {
    name,
    op: 'affine',
    inputs: [input],
    output: name,
    scale: rand([channels], positive ? 0.5 : -1.5, positive ? 1.5 : -0.5),
    shift: shifted ? rand([channels]) : tensor([channels]),
  };
}

function conv(name: string, input: string, cIn: number, cOut: number, pads: Pads, group = 1): Node {
  return {
    name,
    op: 'conv',
    inputs: [input],
    output: name,
    weight: rand([cOut, cIn / group, 3, 3]),
    bias: rand([cOut]),
    strides: [1, 1],
    pads,
    dilations: [1, 1],
    group,
  };
}

const pool = (name: string, input: string, op: 'maxpool' | 'avgpool', pads: Pads, countIncludePad: boolean): Node => ({
  name,
  op,
  inputs: [input],
  output: name,
  kernel: [2, 2],
  strides: [2, 2],
  pads,
  ceilMode: false,
  countIncludePad,
});

const relu = (name: string, input: string): Node => ({ name, op: 'relu', inputs: [input], output: name });

/** x [4, 8, 8] -> conv -> relu -> [middle] -> head; `middle` builds on value 'r'. */
function graph(middle: Node[], last: string): Graph {
  return { name: 'g', input: { name: 'x', shape: [4, 8, 8] }, output: last, nodes: [conv('c0', 'x', 4, 4, [1, 1, 1, 1]), relu('r', 'c0'), ...middle] };
}

const flatDense = (input: string, features: number): Node[] => [
  { name: 'flat', op: 'flatten', inputs: [input], output: 'flat' },
  { name: 'fc', op: 'dense', inputs: ['flat'], output: 'fc', weight: rand([5, features]), bias: rand([5]) },
];

const cases: [string, Graph, 'folded' | RegExp][] = [
  ['into an unpadded conv', graph([affine('bn', 'r', 4, true), conv('c1', 'bn', 4, 6, [0, 0, 0, 0])], 'c1'), 'folded'],
  ['into a grouped unpadded conv', graph([affine('bn', 'r', 4, false), conv('c1', 'bn', 4, 4, [0, 0, 0, 0], 2)], 'c1'), 'folded'],
  ['into a padded conv when it only scales', graph([affine('bn', 'r', 4, true, false), conv('c1', 'bn', 4, 6, [1, 1, 1, 1])], 'c1'), 'folded'],
  ['not into a padded conv when it shifts', graph([affine('bn', 'r', 4, true), conv('c1', 'bn', 4, 6, [1, 0, 1, 0])], 'c1'), /conv 'c1' pads with zeros/],
  ['through max pooling with positive scales', graph([affine('bn', 'r', 4, true), pool('p', 'bn', 'maxpool', [1, 1, 1, 1], false), ...flatDense('p', 4 * 25)], 'fc'), 'folded'],
  ['not through max pooling with a negative scale', graph([affine('bn', 'r', 4, false), pool('p', 'bn', 'maxpool', [0, 0, 0, 0], false), ...flatDense('p', 64)], 'fc'), /maxpool 'p' does not commute with a scale <= 0/],
  ['through average pooling that ignores pads', graph([affine('bn', 'r', 4, false), pool('p', 'bn', 'avgpool', [1, 1, 1, 1], false), ...flatDense('p', 4 * 25)], 'fc'), 'folded'],
  ['not through average pooling that counts pads', graph([affine('bn', 'r', 4, true), pool('p', 'bn', 'avgpool', [1, 1, 1, 1], true), ...flatDense('p', 4 * 25)], 'fc'), /avgpool 'p' counts padded cells/],
  [
    'through global average pooling and flatten into a dense layer',
    graph([affine('bn', 'r', 4, false), { name: 'gap', op: 'globalavgpool', inputs: ['bn'], output: 'gap' }, ...flatDense('gap', 4)], 'fc'),
    'folded',
  ],
  ['not when its result has two readers', graph([affine('bn', 'r', 4, true), conv('c1', 'bn', 4, 4, [0, 0, 0, 0]), relu('r2', 'bn')], 'c1'), /read by 2 nodes/],
  ['not at the graph output', graph([affine('bn', 'r', 4, true)], 'bn'), /computes the graph output/],
];

describe.each(cases)('an affine after a ReLU folds forward %s', (_, g, expected) => {
  it('as expected, and exactly', async () => {
    expect(verify(g)).toEqual([]);
    const before = JSON.stringify(g, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
    const { graph: folded, log } = foldAffineForward.run(g);
    expect(JSON.stringify(g, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))).toBe(before);
    expect(verify(folded)).toEqual([]);
    if (expected === 'folded') {
      expect(folded.nodes.some((n) => n.op === 'affine')).toBe(false);
      expect(log.join('\n')).toMatch(/folded affine 'bn' forward into/);
    } else {
      expect(folded.nodes.some((n) => n.op === 'affine')).toBe(true);
      expect(log.join('\n')).toMatch(expected);
    }
    const x = randomArray(5 * 4 * 8 * 8, 3);
    const want = await runOnnxFile(exportOnnx(g), x, [5, 4, 8, 8]);
    const got = await runOnnxFile(exportOnnx(folded), x, [5, 4, 8, 8]);
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(want)));
  });
});

describe('the import pipeline on the fixtures', () => {
  it.each(['bn-after-relu.onnx', 'input-norm.onnx', 'input-scale.onnx', 'convnet.onnx'])('%s: verify() after every pass, inputs untouched', (name) => {
    let g = importOnnx(fs.readFileSync(`fixtures/onnx/${name}`)).graph;
    for (const pass of importPipeline) {
      const before = JSON.stringify(g, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
      const next = pass.run(g).graph;
      expect(JSON.stringify(g, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))).toBe(before);
      expect(verify(next), pass.name).toEqual([]);
      g = next;
    }
  });
});
