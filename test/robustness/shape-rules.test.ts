/**
 * snnc's shape rules against onnxruntime on generated cases: for every window op (Conv with
 * strides, pads, dilations and groups; MaxPool and AveragePool in floor and ceil mode), and
 * Flatten + Gemm, random attributes on random input sizes. Where onnxruntime runs the model,
 * snnc must give the same output shape or refuse it with a one-line user error; where
 * onnxruntime refuses it, snnc must refuse it too (a UserError, never a crash); and snnc must
 * accept most of what onnxruntime runs, so that the comparison cannot pass by refusing all.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { importOnnx } from '../../src/io/onnx/import.js';
import { inferShapes } from '../../src/ir/shapes.js';
import { buildOnnx, type BuildInit, type BuildNode } from '../helpers/onnx-build.js';

/** A small seeded generator (mulberry32): the cases are the same on every run. */
function rng(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + Math.floor(u * (hi - lo + 1));
  };
}

interface Case {
  input: number[];
  nodes: BuildNode[];
  inits?: BuildInit[];
}

async function ortShape(c: Case, bytes: Uint8Array): Promise<number[] | null> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  } catch {
    return null;
  }
  try {
    const size = c.input.reduce((a, b) => a * b, 1);
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(size).fill(0.5), [1, ...c.input]) });
    return [...out.y!.dims].slice(1).map(Number);
  } catch {
    return null;
  } finally {
    await session.release();
  }
}

function snncShape(bytes: Uint8Array): number[] | UserError {
  try {
    const { graph } = importOnnx(bytes);
    return inferShapes(graph).get(graph.output)!;
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
}

/** Runs the cases; returns how many onnxruntime ran and how many of those snnc accepted. */
async function compare(cases: Case[]): Promise<{ ran: number; accepted: number }> {
  let ran = 0;
  let accepted = 0;
  for (const c of cases) {
    const bytes = buildOnnx(c.input, c.nodes, c.inits);
    const reference = await ortShape(c, bytes);
    const mine = snncShape(bytes);
    const what = JSON.stringify({ nodes: c.nodes.map((n) => [n.op, n.attrs]), input: c.input });
    if (reference === null) {
      expect(mine, `onnxruntime refuses ${what}`).toBeInstanceOf(UserError);
      continue;
    }
    ran++;
    if (mine instanceof UserError) continue;
    accepted++;
    expect(mine, what).toEqual(reference);
  }
  return { ran, accepted };
}

function poolCases(op: 'MaxPool' | 'AveragePool', seed: number, n: number): Case[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const h = r(1, 14);
    const w = r(1, 14);
    const k: [number, number] = [r(1, 5), r(1, 5)];
    const pads = [r(0, k[0] - 1), r(0, k[1] - 1), r(0, k[0] - 1), r(0, k[1] - 1)];
    const attrs: Record<string, number | number[]> = { kernel_shape: k, strides: [r(1, 7), r(1, 7)], pads, ceil_mode: r(0, 1) };
    if (op === 'AveragePool') attrs.count_include_pad = r(0, 1);
    return { input: [r(1, 3), h, w], nodes: [{ op, inputs: ['x'], output: 'y', attrs }] };
  });
}

function convCases(seed: number, n: number): Case[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const group = r(1, 2);
    const cIn = group * r(1, 2);
    const cOut = group * r(1, 2);
    const k = [r(1, 4), r(1, 4)];
    const dims = [cOut, cIn / group, k[0]!, k[1]!];
    const size = dims.reduce((a, b) => a * b, 1);
    return {
      input: [cIn, r(1, 12), r(1, 12)],
      nodes: [
        {
          op: 'Conv',
          inputs: ['x', 'w'],
          output: 'y',
          attrs: { kernel_shape: k, strides: [r(1, 4), r(1, 4)], pads: [r(0, 3), r(0, 3), r(0, 3), r(0, 3)], dilations: [r(1, 3), r(1, 3)], group },
        },
      ],
      inits: [{ name: 'w', dims, values: Array.from({ length: size }, (_, i) => ((i % 7) - 3) / 7) }],
    };
  });
}

describe('shape rules equal onnxruntime', () => {
  it.each([
    ['MaxPool', 11],
    ['AveragePool', 12],
  ] as const)('%s: floor and ceil mode, pads, strides wider than the kernel', async (op, seed) => {
    const { ran, accepted } = await compare(poolCases(op, seed, 250));
    expect(ran).toBeGreaterThan(150);
    expect(accepted).toBeGreaterThan(0.8 * ran);
  });

  it('Conv: strides, pads, dilations, groups', async () => {
    const { ran, accepted } = await compare(convCases(13, 250));
    expect(ran).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(0.8 * ran);
  });

  it('MaxPool in ceil mode with a window wider than the padded input gives one output, as onnxruntime does', async () => {
    const c: Case = { input: [1, 2, 2], nodes: [{ op: 'MaxPool', inputs: ['x'], output: 'y', attrs: { kernel_shape: [3, 3], strides: [5, 5], ceil_mode: 1 } }] };
    const bytes = buildOnnx(c.input, c.nodes);
    expect(await ortShape(c, bytes)).toEqual([1, 1, 1]);
    expect(snncShape(bytes)).toEqual([1, 1, 1]);
  });

  it('Flatten + Gemm', async () => {
    const r = rng(14);
    const cases: Case[] = Array.from({ length: 60 }, () => {
      const input = [r(1, 3), r(1, 5), r(1, 5)];
      const features = input.reduce((a, b) => a * b, 1) + (r(0, 3) === 0 ? r(-1, 1) : 0);
      const outputs = r(1, 6);
      return {
        input,
        nodes: [
          { op: 'Flatten', inputs: ['x'], output: 'f' },
          { op: 'Gemm', inputs: ['f', 'w', 'b'], output: 'y', attrs: { transB: 1 } },
        ],
        inits: [
          { name: 'w', dims: [outputs, Math.max(1, features)], values: Array.from({ length: outputs * Math.max(1, features) }, (_, i) => (i % 5) / 5) },
          { name: 'b', dims: [outputs], values: Array.from({ length: outputs }, () => 0.1) },
        ],
      };
    });
    const { ran, accepted } = await compare(cases);
    expect(accepted).toBeGreaterThan(0.8 * ran);
  });
});
