/**
 * Behaviour of exported NIR files. A small NIR interpreter written here from NIR's equations
 * (not from snnc's code) runs the file as jsfive reads it, under the time convention snnc
 * documents: every signal held constant over a step of dt seconds, nodes summing their
 * incoming edges, and
 *   IF   dv/dt = R I:                          v <- v + R dt I, spike if v > v_threshold
 *   LIF  tau dv/dt = (v_leak - v) + R I, exact: v <- v_leak + (v - v_leak) e^(-dt/tau) + R (1 - e^(-dt/tau)) I
 *   I    dv/dt = R I:                          v <- v + R dt I
 * after a spike v <- v_reset. Its predictions at every step are compared with snnc's spiking
 * simulator on the converted network, for settings NIR expresses exactly (reset to zero, no
 * refractory period, v(0) = 0), and shown to differ where snnc reports a loss.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { preprocessBatch, type Dataset } from '../src/model/dataset.js';
import { writeNirFile } from '../src/io/nir/hdf5.js';
import { planNir } from '../src/io/nir/plan.js';
import type { SnnModel } from '../src/model/snn-model.js';
import type { Graph } from '../src/ir/graph.js';
import { sizeOf, tensor } from '../src/ir/tensor.js';
import { SnnSimulator } from '../src/runtime/simulator.js';
import { tempDir } from './helpers/idx.js';
import { readNirFile, type NirFile, type NirFileNode } from './helpers/nir-file.js';
import { convertFixture, IF_EXACT, modelOf, randomImages } from './helpers/snn-models.js';

const DT_S = 1e-3;

// ---- the interpreter -------------------------------------------------------------------

const num = (n: NirFileNode, key: string): number[] => n.params.get(key)!.value as number[];
const dims = (n: NirFileNode, key: string): number[] => n.params.get(key)!.shape;

function conv2d(n: NirFileNode, x: Float64Array): { y: Float64Array; shape: number[] } {
  const [cOut, cIn, kH, kW] = dims(n, 'weight') as [number, number, number, number];
  const [h, w] = num(n, 'input_shape') as [number, number];
  const [sH, sW] = num(n, 'stride') as [number, number];
  const [pH, pW] = num(n, 'padding') as [number, number];
  const [dH, dW] = num(n, 'dilation') as [number, number];
  expect(num(n, 'groups')[0]).toBe(1);
  const oH = Math.floor((h + 2 * pH - dH * (kH - 1) - 1) / sH) + 1;
  const oW = Math.floor((w + 2 * pW - dW * (kW - 1) - 1) / sW) + 1;
  const wt = num(n, 'weight');
  const b = num(n, 'bias');
  const y = new Float64Array(cOut * oH * oW);
  for (let o = 0; o < cOut; o++)
    for (let oy = 0; oy < oH; oy++)
      for (let ox = 0; ox < oW; ox++) {
        let s = b[o]!;
        for (let i = 0; i < cIn; i++)
          for (let ky = 0; ky < kH; ky++)
            for (let kx = 0; kx < kW; kx++) {
              const iy = oy * sH - pH + ky * dH;
              const ix = ox * sW - pW + kx * dW;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += wt[((o * cIn + i) * kH + ky) * kW + kx]! * x[(i * h + iy) * w + ix]!;
            }
        y[(o * oH + oy) * oW + ox] = s;
      }
  return { y, shape: [cOut, oH, oW] };
}

function pool(n: NirFileNode, x: Float64Array, inShape: number[], average: boolean): { y: Float64Array; shape: number[] } {
  const [c, h, w] = inShape as [number, number, number];
  const [kH, kW] = num(n, 'kernel_size') as [number, number];
  const [sH, sW] = num(n, 'stride') as [number, number];
  const [pH, pW] = num(n, 'padding') as [number, number];
  const oH = Math.floor((h + 2 * pH - kH) / sH) + 1;
  const oW = Math.floor((w + 2 * pW - kW) / sW) + 1;
  const y = new Float64Array(c * oH * oW);
  for (let k = 0; k < c; k++)
    for (let oy = 0; oy < oH; oy++)
      for (let ox = 0; ox < oW; ox++) {
        let s = 0;
        for (let ky = 0; ky < kH; ky++)
          for (let kx = 0; kx < kW; kx++) {
            const iy = oy * sH - pH + ky;
            const ix = ox * sW - pW + kx;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += x[(k * h + iy) * w + ix]!;
          }
        y[(k * oH + oy) * oW + ox] = average ? s / (kH * kW) : s;
      }
  return { y, shape: [c, oH, oW] };
}

function matVec(n: NirFileNode, x: Float64Array, withBias: boolean): Float64Array {
  const [rows, cols] = dims(n, 'weight') as [number, number];
  const wt = num(n, 'weight');
  const b = withBias ? num(n, 'bias') : null;
  return Float64Array.from({ length: rows }, (_, r) => {
    let s = b ? b[r]! : 0;
    for (let i = 0; i < cols; i++) s += wt[r * cols + i]! * x[i]!;
    return s;
  });
}

/** Runs a NIR graph on one constant input for `steps` steps; returns the Output node's value at each step. */
function runNir(g: NirFile, x: Float32Array, steps: number): { outputs: Float64Array[]; spikes: Map<string, number> } {
  const preds = new Map<string, string[]>();
  for (const [a, b] of g.edges) preds.set(b, [...(preds.get(b) ?? []), a]);
  // Topological order (Kahn), the Input first.
  const order: string[] = [];
  const indegree = new Map([...g.nodes.keys()].map((k) => [k, preds.get(k)?.length ?? 0]));
  const ready = [...g.nodes.keys()].filter((k) => indegree.get(k) === 0);
  while (ready.length > 0) {
    const k = ready.shift()!;
    order.push(k);
    for (const [a, b] of g.edges) if (a === k && indegree.set(b, indegree.get(b)! - 1).get(b) === 0) ready.push(b);
  }
  expect(order.length).toBe(g.nodes.size);
  const shapes = new Map<string, number[]>();
  const state = new Map<string, Float64Array>();
  const spikes = new Map<string, number>();
  const outputs: Float64Array[] = [];
  for (let t = 0; t < steps; t++) {
    const values = new Map<string, Float64Array>();
    for (const name of order) {
      const n = g.nodes.get(name)!;
      const inputs = (preds.get(name) ?? []).map((p) => values.get(p)!);
      const sum = inputs.length === 0 ? Float64Array.from(x) : inputs.reduce((a, b) => a.map((v, i) => v + b[i]!));
      const inShape = shapes.get((preds.get(name) ?? [name])[0]!) ?? num(n, 'shape');
      let y: Float64Array;
      let shape = inShape;
      switch (n.type) {
        case 'Input':
        case 'Output':
        case 'Flatten':
          y = sum;
          shape = n.type === 'Flatten' ? [sum.length] : inShape;
          break;
        case 'Conv2d':
          ({ y, shape } = conv2d(n, sum));
          break;
        case 'Affine':
        case 'Linear':
          y = matVec(n, sum, n.type === 'Affine');
          shape = [y.length];
          break;
        case 'Scale':
          y = sum.map((v, i) => v * num(n, 'scale')[i]!);
          break;
        case 'SumPool2d':
        case 'AvgPool2d':
          ({ y, shape } = pool(n, sum, inShape, n.type === 'AvgPool2d'));
          break;
        case 'IF':
        case 'LIF':
        case 'I': {
          const v = state.get(name) ?? new Float64Array(sum.length);
          state.set(name, v);
          const r = num(n, 'r');
          y = new Float64Array(sum.length);
          for (let i = 0; i < v.length; i++) {
            if (n.type === 'LIF') {
              const decay = Math.exp(-DT_S / num(n, 'tau')[i]!);
              v[i] = num(n, 'v_leak')[i]! + (v[i]! - num(n, 'v_leak')[i]!) * decay + r[i]! * (1 - decay) * sum[i]!;
            } else {
              v[i] = v[i]! + r[i]! * DT_S * sum[i]!;
            }
            if (n.type === 'I') y[i] = v[i]!;
            else if (v[i]! > num(n, 'v_threshold')[i]!) {
              y[i] = 1;
              v[i] = num(n, 'v_reset')[i]!;
            }
          }
          spikes.set(name, (spikes.get(name) ?? 0) + (n.type === 'I' ? 0 : y.reduce((a, b) => a + b, 0)));
          break;
        }
        default:
          throw new Error(`interpreter: NIR type ${n.type} not implemented`);
      }
      values.set(name, y);
      shapes.set(name, shape);
    }
    const out = [...g.nodes].find(([, n]) => n.type === 'Output')![0];
    outputs.push(values.get(out)!);
  }
  return { outputs, spikes };
}

const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
};

// ---- comparison with snnc ------------------------------------------------------------

/** Fraction of (step, sample) pairs where the NIR file's prediction equals snnc's. */
async function agreement(model: SnnModel, ds: Dataset, steps: number): Promise<{ agree: number; spikesNir: number; spikesSnnc: number }> {
  const file = path.join(tempDir('snnc-nir-'), 'net.nir');
  await writeNirFile(planNir(model, { dtS: DT_S, readout: 'integrator' }), file);
  const g = readNirFile(file);
  const x = preprocessBatch(ds, 0, ds.count, model.preprocess);
  const sim = await SnnSimulator.create(model.snn, steps);
  const snnc = await sim.runBatch(x, ds.count);
  await sim.release();
  const per = sizeOf(ds.sampleShape);
  let agree = 0;
  let spikesNir = 0;
  for (let b = 0; b < ds.count; b++) {
    const run = runNir(g, x.subarray(b * per, (b + 1) * per), steps);
    for (let t = 0; t < steps; t++) if (argmax(run.outputs[t]!) === snnc.predictions[t * ds.count + b]) agree++;
    for (const s of run.spikes.values()) spikesNir += s;
  }
  const spikesSnnc = [...snnc.activity.values()].reduce((a, l) => a + l.spikes, 0);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { agree: agree / (steps * ds.count), spikesNir, spikesSnnc };
}

describe('an exported NIR file, run by NIR equations, behaves as snnc', () => {
  it.each([
    ['residual.onnx', [2, 6, 6]],
    ['matmul.onnx', [1, 8, 8]],
  ])('%s: same prediction at every step and the same spike count (reset to zero, v(0) = 0)', async (name, shape) => {
    const model = await convertFixture(path.join('fixtures/onnx', name), shape, IF_EXACT);
    const r = await agreement(model, randomImages(shape, 20, 11), 24);
    expect(r.spikesSnnc).toBeGreaterThan(100);
    expect(r.agree).toBe(1);
    expect(r.spikesNir).toBe(r.spikesSnnc);
  });

  it('differs where snnc reports a loss: reset by subtraction', async () => {
    const model = await convertFixture('fixtures/onnx/residual.onnx', [2, 6, 6], { ...IF_EXACT, reset: 'subtract' });
    const r = await agreement(model, randomImages([2, 6, 6], 20, 11), 24);
    expect(r.spikesNir).not.toBe(r.spikesSnnc);
  });

  it('LIF neurons: tau = tau_steps dt and r = 1 / (1 - e^(-1/tau_steps)) reproduce snnc\'s leaky step', async () => {
    // input [4] -> dense -> LIF (tau 5 steps) -> dense -> readout, weights chosen so that the
    // neurons fire at different rates and the leak matters.
    const graph: Graph = {
      name: 'lif',
      input: { name: 'x', shape: [4] },
      output: 'y',
      nodes: [
        { name: 'fc1', op: 'dense', inputs: ['x'], output: 'h', weight: tensor([3, 4], [0.5, 0.2, 0, 0.1, 0.1, 0.3, 0.2, 0, 0, 0.05, 0.4, 0.3]), bias: tensor([3], [0.05, 0, 0.1]) },
        { name: 'lif1', op: 'spike', inputs: ['h'], output: 's', lambda: [1], neuron: { ...IF_EXACT, model: 'lif', tauSteps: 5 } },
        { name: 'fc2', op: 'dense', inputs: ['s'], output: 'y', weight: tensor([2, 3], [1, -1, 0.5, -0.5, 1, 0.25]), bias: tensor([2], [0, 0.01]) },
      ],
    };
    const r = await agreement(modelOf(graph, graph, { ...IF_EXACT, model: 'lif', tauSteps: 5 }), randomImages([4], 10, 3), 40);
    expect(r.spikesSnnc).toBeGreaterThan(50);
    expect(r.spikesNir).toBe(r.spikesSnnc);
    expect(r.agree).toBe(1);
  });
});
