/**
 * Spike-count readout: the output layer becomes a layer of IF neurons too, and the prediction
 * at step t is the class whose neuron spiked most over steps 1..t (ties go to the lowest
 * class index). Its scale lambda is one value for the layer (the p-th percentile of the
 * positive ANN outputs), so that counts compare across classes. Negative logits never spike:
 * classes the ANN ranks below zero are told apart only by the default membrane readout.
 */
import type { NeuronLayerParams } from '../ir/graph.js';
import type { ActivationStats } from '../model/activation-stats.js';
import type { Pass } from './pass.js';

export function spikingReadout(stats: ActivationStats, neuron: NeuronLayerParams): Pass {
  return {
    name: 'spiking-readout',
    run(graph) {
      const name = `${graph.output}.spikes`;
      const lambda = [Math.max(...stats.lambda)];
      const node = { name, op: 'spike' as const, inputs: [graph.output], output: name, neuron: { ...neuron }, lambda };
      return {
        graph: { ...graph, nodes: [...graph.nodes, node], output: name },
        log: [`output '${graph.output}' -> spiking readout, lambda ${lambda[0]!.toPrecision(4)}`],
      };
    },
  };
}
