/**
 * Replaces max pooling by average pooling over the same windows (padding left out of the
 * divisor). This changes the network, so the ANN it converts is no longer the one loaded:
 * average pooling is linear and runs on spikes exactly, where spiking max pooling only
 * approximates the maximum of rates early in a run.
 */
import type { Pass } from './pass.js';

export const maxpoolToAvgpool: Pass = {
  name: 'maxpool-to-avgpool',
  run(graph) {
    const log: string[] = [];
    const nodes = graph.nodes.map((n) => {
      if (n.op !== 'maxpool') return n;
      log.push(`'${n.name}': max pooling ${n.kernel.join('x')}/${n.strides.join('x')} replaced by average pooling (the ANN changes)`);
      return { ...n, op: 'avgpool' as const, countIncludePad: false };
    });
    return { graph: { ...graph, nodes }, log };
  },
};
