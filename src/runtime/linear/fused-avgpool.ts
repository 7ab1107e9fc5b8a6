/**
 * An average pool whose input spikes are pooled inside the spiking layer that fires them
 * (NeuronLayer.fusePool: the WebAssembly scan adds each row's spikes into their windows right
 * after the row, while they are in cache): the node only hands on the layer's pooled output
 * and counts its input events. Same values as the event-driven pool (sum, then divide).
 */
import type { PoolNode } from '../../ir/graph.js';
import type { NeuronLayer } from '../neuron-layer.js';
import type { BatchStats, RuntimeNode } from '../runtime-node.js';
import type { Signal } from '../signal.js';

export class FusedAvgPool implements RuntimeNode {
  readonly executor = 'fused';
  /** Spikes pooled in the current batch (synaptic events of the pool). */
  private inputEvents = 0;

  constructor(
    readonly node: PoolNode,
    private readonly layer: NeuronLayer,
  ) {}

  begin(): void {
    this.inputEvents = 0;
  }

  run(): Signal {
    this.inputEvents += this.layer.chunkSpikes;
    return this.layer.pooledOutput();
  }

  report(stats: BatchStats): void {
    stats.inputEvents.set(this.node.name, this.inputEvents);
  }
}
