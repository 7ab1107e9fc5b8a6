/**
 * transformCurrent: the current entering a spiking layer becomes gain z + offset per channel,
 * folded into the nodes that produce it. The reference is onnxruntime on the graph before the
 * change: z' must equal gain z + offset channel by channel.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../src/io/onnx/export.js';
import { loadModel } from '../src/convert/load-model.js';
import type { LoadedAnn } from '../src/io/load-model.js';
import { producersOf, type Graph, type Node, type SpikeNode } from '../src/ir/graph.js';
import { inferShapes } from '../src/ir/shapes.js';
import { sizeOf } from '../src/ir/tensor.js';
import { verify } from '../src/ir/verify.js';
import { transformCurrent } from '../src/passes/current-transform.js';
import { convertPipeline } from '../src/passes/pipelines.js';
import type { ActivationStats } from '../src/model/activation-stats.js';
import { randomArray, runOnnxFile } from './helpers/ort.js';

const NEURON = { model: 'if', vThreshold: 1, vReset: 0, reset: 'subtract', vInitFraction: 0.5, tRefSteps: 0 } as const;

async function converted(file: string): Promise<Graph> {
  const ann = ((await loadModel(file)) as LoadedAnn).graph;
  const shapes = inferShapes(ann);
  const stats = new Map<string, ActivationStats>();
  ann.nodes.forEach((n, i) => {
    if (n.op === 'relu') stats.set(n.name, { lambda: Array.from(randomArray(shapes.get(n.output)![0]!, 40 + i, 0.5, 3)), clippedFraction: 0, max: 3, activeFraction: 0.5 });
  });
  return convertPipeline(stats, NEURON).reduce((g, pass) => pass.run(g).graph, ann);
}

/** The current entering `layer` on input x, by onnxruntime, with the spiking layers before it read as ReLUs. */
async function currentInto(graph: Graph, layer: SpikeNode, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const end = graph.nodes.findIndex((n) => n.name === layer.name);
  const nodes = graph.nodes.slice(0, end).map((n): Node => (n.op === 'spike' ? { name: n.name, op: 'relu', inputs: n.inputs, output: n.output } : n));
  return runOnnxFile(exportOnnx({ ...graph, nodes, output: layer.inputs[0]! }), x, dims);
}

describe.each(['residual.onnx', 'shortcut-a.onnx'])('transformCurrent on the joins of %s', (name) => {
  it('folds gain and offset into both terms of the residual add, and the join current becomes gain z + offset', async () => {
    const file = path.join('fixtures/onnx', name);
    const snn = await converted(file);
    const producers = producersOf(snn);
    const joins = snn.nodes.filter((n): n is SpikeNode => n.op === 'spike' && producers.get(n.inputs[0]!)?.op === 'add');
    expect(joins.length).toBeGreaterThan(0);
    const inputShape = snn.input.shape;
    const batch = 3;
    const x = randomArray(batch * sizeOf(inputShape), 5, 0, 1);
    for (const join of joins) {
      const channels = inferShapes(snn).get(join.output)![0]!;
      const gain = randomArray(channels, 11, 0.5, 2);
      const offset = randomArray(channels, 12, -0.3, 0.3);
      const { graph, where } = transformCurrent(snn, join.name, gain, offset, 'test');
      expect(verify(graph)).toEqual([]);
      expect(graph.nodes.length).toBe(snn.nodes.length);
      expect(where).toMatch(/the terms of/);
      const before = await currentInto(snn, join, x, [batch, ...inputShape]);
      const after = await currentInto(graph, join, x, [batch, ...inputShape]);
      const plane = before.length / batch / channels;
      let worst = 0;
      for (let i = 0; i < before.length; i++) {
        const c = Math.floor(i / plane) % channels;
        worst = Math.max(worst, Math.abs(after[i]! - (gain[c]! * before[i]! + offset[c]!)));
      }
      expect(worst).toBeLessThan(1e-4);
    }
  });
});
