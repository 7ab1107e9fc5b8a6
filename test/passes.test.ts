/**
 * Conversion passes. Weight normalisation only rescales a ReLU network by positive
 * per-channel factors, and ReLU commutes with them: with every spiking layer read as a ReLU
 * again, the converted graph must compute the original model's logits exactly. The reference
 * is onnxruntime on the original file.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../src/io/onnx/export.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import type { Graph, Node } from '../src/ir/graph.js';
import { inferShapes } from '../src/ir/shapes.js';
import { sizeOf } from '../src/ir/tensor.js';
import { verify } from '../src/ir/verify.js';
import { convertPipeline } from '../src/passes/pipelines.js';
import type { ActivationStats } from '../src/model/activation-stats.js';
import { maxAbs, maxAbsDiff, randomArray, runOnnxFile } from './helpers/ort.js';

const NEURON = { model: 'if', vThreshold: 1, vReset: 0, reset: 'subtract', vInitFraction: 0.5, tRefSteps: 2 } as const;

/** Made-up calibration statistics: a different lambda per layer (or per channel). */
function fakeStats(graph: Graph, channelwise: boolean): Map<string, ActivationStats> {
  const shapes = inferShapes(graph);
  const stats = new Map<string, ActivationStats>();
  graph.nodes.forEach((n, i) => {
    if (n.op !== 'relu') return;
    const channels = channelwise ? shapes.get(n.output)![0]! : 1;
    const lambda = Array.from(randomArray(channels, 100 + i, 0.2, 5));
    stats.set(n.name, { lambda, clippedFraction: 0, max: 5, activeFraction: 0.5 });
  });
  return stats;
}

/** The converted graph with each spiking layer read as a ReLU (its rate in the limit). */
function asRateNetwork(snn: Graph): Graph {
  return { ...snn, nodes: snn.nodes.map((n): Node => (n.op === 'spike' ? { name: n.name, op: 'relu', inputs: n.inputs, output: n.output } : n)) };
}

describe.each([
  ['convnet.onnx', [1, 18, 18]],
  ['residual.onnx', [2, 6, 6]],
  ['shortcut-a.onnx', [2, 7, 7]],
])('convert pipeline on %s', (name, shape) => {
  it.each([false, true])('channelwise=%s keeps the logits of the rate network equal to the ANN', async (channelwise) => {
    const file = path.join('fixtures/onnx', name);
    const ann = ((await loadModel(file)) as LoadedAnn).graph;
    let g = ann;
    for (const pass of convertPipeline(fakeStats(ann, channelwise), NEURON)) {
      g = pass.run(g).graph;
      expect(verify(g), pass.name).toEqual([]);
    }
    expect(g.nodes.filter((n) => n.op === 'spike').length).toBe(ann.nodes.filter((n) => n.op === 'relu').length);
    const x = randomArray(5 * sizeOf(shape), 9, 0, 1);
    const reference = await runOnnxFile(file, x, [5, ...shape]);
    const rates = await runOnnxFile(exportOnnx(asRateNetwork(g)), x, [5, ...shape]);
    expect(maxAbsDiff(rates, reference)).toBeLessThanOrEqual(1e-4 * Math.max(1, maxAbs(reference)));
  });

  it('does not mutate its input graph', async () => {
    const ann = ((await loadModel(path.join('fixtures/onnx', name))) as LoadedAnn).graph;
    const before = JSON.stringify(ann, (_, v) => (v instanceof Float32Array ? Array.from(v) : v));
    for (const pass of convertPipeline(fakeStats(ann, true), NEURON)) pass.run(ann);
    expect(JSON.stringify(ann, (_, v) => (v instanceof Float32Array ? Array.from(v) : v))).toBe(before);
  });
});
