/**
 * A pass takes a graph and returns a new graph plus a log of what it changed, one line per
 * change. Passes never mutate their input; tests run verify() after each of them.
 */
import type { Graph } from '../ir/graph.js';

export interface PassResult {
  graph: Graph;
  log: string[];
}

export interface Pass {
  name: string;
  run(graph: Graph): PassResult;
}

/** Runs passes in order, concatenating their logs (each line prefixed with the pass name). */
export function runPasses(graph: Graph, passes: readonly Pass[]): PassResult {
  const log: string[] = [];
  let g = graph;
  for (const pass of passes) {
    const result = pass.run(g);
    g = result.graph;
    for (const line of result.log) log.push(`${pass.name}: ${line}`);
  }
  return { graph: g, log };
}
