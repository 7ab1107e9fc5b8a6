/**
 * Replaces every ReLU by a layer of integrate-and-fire neurons (an IR `spike` node) carrying
 * the neuron parameters and the activation scale lambda from calibration. The weights are
 * rescaled afterwards by normalize-weights, which reads lambda from the spike nodes.
 */
import type { Graph, NeuronLayerParams } from '../ir/graph.js';
import type { ActivationStats } from '../model/activation-stats.js';
import type { Pass } from './pass.js';
import { InternalError } from '../errors.js';

function summarize(lambda: number[]): string {
  if (lambda.length === 1) return lambda[0]!.toPrecision(4);
  const lo = Math.min(...lambda);
  const hi = Math.max(...lambda);
  return `${lo.toPrecision(3)}..${hi.toPrecision(3)} over ${lambda.length} channels`;
}

export function reluToSpike(stats: ReadonlyMap<string, ActivationStats>, neuron: NeuronLayerParams): Pass {
  return {
    name: 'relu-to-spike',
    run(graph: Graph) {
      const log: string[] = [];
      const nodes = graph.nodes.map((node) => {
        if (node.op !== 'relu') return node;
        const s = stats.get(node.name);
        if (!s) throw new InternalError(`no calibration statistics for ReLU ${node.name}`);
        log.push(
          `'${node.name}' -> ${neuron.model.toUpperCase()} neurons, lambda ${summarize(s.lambda)}, ` +
            `${(100 * s.clippedFraction).toFixed(3)}% of calibration activations clipped`,
        );
        return { name: node.name, op: 'spike' as const, inputs: node.inputs, output: node.output, neuron: { ...neuron }, lambda: [...s.lambda] };
      });
      return { graph: { ...graph, nodes }, log };
    },
  };
}
