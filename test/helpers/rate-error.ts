/**
 * The rate error of a converted network against its ANN: the ANN's activations (onnxruntime on
 * the original graph) divided by each layer's λ and clipped to [0, 1] are the target rates; the
 * SNN's spike counts over T steps divided by T are the measured ones.
 */
import type { SpikeNode } from '../../src/ir/graph.js';
import { preprocessBatch, type Dataset } from '../../src/model/dataset.js';
import type { SnnModel } from '../../src/model/snn-model.js';
import { runAnn } from '../../src/runtime/ann.js';
import { SnnSimulator } from '../../src/runtime/simulator.js';

/** Mean |SNN rate - ANN target rate| over every neuron of every spiking layer, on `ds` (layer-wise λ). */
export async function meanRateError(model: SnnModel, ds: Dataset, T: number): Promise<number> {
  const layers = model.snn.nodes.filter((n): n is SpikeNode => n.op === 'spike');
  const targets = new Map<string, Float32Array>();
  await runAnn(model.ann, ds, model.preprocess, { batchSize: ds.count, watch: layers.map((l) => l.output) }, (out) => {
    for (const l of layers) targets.set(l.name, Float32Array.from(out.get(l.output)!, (a) => Math.min(1, Math.max(0, a / l.lambda[0]!))));
  });
  const sim = await SnnSimulator.create(model.snn, T);
  const r = await sim.runBatch(preprocessBatch(ds, 0, ds.count, model.preprocess), ds.count, { capture: new Set(layers.map((l) => l.name)) });
  await sim.release();
  let error = 0;
  let n = 0;
  for (const l of layers) {
    const target = targets.get(l.name)!;
    r.counts.get(l.name)!.forEach((c, i) => {
      error += Math.abs(c / T - target[i]!);
      n++;
    });
  }
  return error / n;
}
