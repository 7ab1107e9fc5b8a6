/**
 * Synaptic operations and energy estimates, as the SNN literature computes them (an
 * estimate, not a measurement): E_AC = 0.9 pJ per accumulate (a synaptic operation of the
 * SNN), E_MAC = 4.6 pJ per multiply-accumulate (the ANN), for 32-bit float operations in a
 * 45 nm process (Horowitz 2014).
 *
 * Synaptic operations of a conv or dense layer on spikes = its non-zero inputs summed over
 * the T steps x the layer's mean fan-out (MACs per image / inputs per image). A layer whose
 * input is the same at every step (the first layer under constant-current input) runs once
 * per image, densely: it costs its MACs at E_MAC, not T times.
 * Pooling, element-wise and neuron updates are not counted (as in the literature).
 */
import type { Graph, Node } from '../ir/graph.js';
import { macsOf } from '../ir/stats.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';

export const E_AC_PJ = 0.9;
export const E_MAC_PJ = 4.6;

export interface OpCost {
  /** The conv / dense node. */
  name: string;
  /** ANN multiply-accumulates per image. */
  annMacs: number;
  /** SNN accumulates per image over the whole run (0 if the layer runs once, densely). */
  synOps: number;
  /** SNN multiply-accumulates per image (layers computed once on a static input). */
  snnMacs: number;
}

export interface EnergyEstimate {
  eAcPj: number;
  eMacPj: number;
  annMacsPerImage: number;
  synOpsPerImage: number;
  /** MACs the SNN still performs per image (static first layer). */
  snnMacsPerImage: number;
  annEnergyNj: number;
  snnEnergyNj: number;
  note: string;
}

/** Costs of every conv / dense node, from the events the simulator counted over `samples` images. */
export function opCosts(graph: Graph, inputEvents: ReadonlyMap<string, number>, samples: number): Map<string, OpCost> {
  const shapes = inferShapes(graph);
  const costs = new Map<string, OpCost>();
  for (const node of graph.nodes) {
    if (node.op !== 'conv' && node.op !== 'dense') continue;
    const macs = macsOf(node, shapes.get(node.output)!);
    const events = inputEvents.get(node.name);
    const fanOut = macs / sizeOf(shapes.get(node.inputs[0]!)!);
    costs.set(node.name, {
      name: node.name,
      annMacs: macs,
      synOps: events === undefined ? 0 : (events * fanOut) / samples,
      snnMacs: events === undefined ? macs : 0,
    });
  }
  return costs;
}

/** The conv / dense nodes whose output reaches `value` without crossing a spiking layer. */
export function weightedFeeding(graph: Graph, value: string): Node[] {
  const producers = new Map(graph.nodes.map((n) => [n.output, n]));
  const found: Node[] = [];
  const visit = (v: string): void => {
    const n = producers.get(v);
    if (!n || n.op === 'spike') return;
    if (n.op === 'conv' || n.op === 'dense') found.push(n);
    n.inputs.forEach(visit);
  };
  visit(value);
  return found;
}

export function estimateEnergy(costs: Iterable<OpCost>): EnergyEstimate {
  let annMacs = 0;
  let synOps = 0;
  let snnMacs = 0;
  for (const c of costs) {
    annMacs += c.annMacs;
    synOps += c.synOps;
    snnMacs += c.snnMacs;
  }
  return {
    eAcPj: E_AC_PJ,
    eMacPj: E_MAC_PJ,
    annMacsPerImage: annMacs,
    synOpsPerImage: synOps,
    snnMacsPerImage: snnMacs,
    annEnergyNj: (annMacs * E_MAC_PJ) / 1000,
    snnEnergyNj: (synOps * E_AC_PJ + snnMacs * E_MAC_PJ) / 1000,
    note: 'estimate: E_AC = 0.9 pJ per synaptic operation, E_MAC = 4.6 pJ per multiply-accumulate (Horowitz 2014, 45 nm)',
  };
}
