/**
 * What every loader checks on a graph it built from an untrusted file, so that whatever it
 * returns is safe for the passes and runtimes: the IR's validity rules (ir/verify.ts), and
 * the size of every value for one sample (float32) against --max-memory. A problem here is
 * the file's fault: a user error.
 */
import { oneLine, UserError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { firstNonFinite, shapeString, type Tensor } from '../ir/tensor.js';
import { verify } from '../ir/verify.js';
import { checkAllocation, defaultMaxMemoryBytes } from '../util/memory-limit.js';

/** Refuses a value shape (without batch) that is not made of sizes or needs more than --max-memory for one sample. */
export function checkValueSize(shape: readonly number[], what: string, maxMemoryBytes = defaultMaxMemoryBytes()): void {
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new UserError(`${what}: shape ${shapeString(shape)} is not a list of sizes`);
  const elements = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(elements)) throw new UserError(`${what}: shape ${shapeString(shape)} has too many elements`);
  checkAllocation(elements * 4, `${what}: shape ${shapeString(shape)} for one sample`, maxMemoryBytes);
}

export function checkLoadedGraph(graph: Graph, maxMemoryBytes = defaultMaxMemoryBytes()): void {
  checkValueSize(graph.input.shape, `input ${oneLine(graph.input.name, 80)}`, maxMemoryBytes);
  const problems = verify(graph);
  if (problems.length > 0) {
    throw new UserError(`invalid graph: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`);
  }
  const shapes = inferShapes(graph);
  for (const node of graph.nodes) checkValueSize(shapes.get(node.output)!, `node ${oneLine(node.name, 80)} (${node.op})`, maxMemoryBytes);
}

/**
 * Refuses parameters that overflowed float32 while a pass combined them (e.g. a BatchNorm
 * scale of 1e30 folded into weights of 1e20): finite in the file, unusable after `stage`.
 */
export function checkFiniteParameters(graph: Graph, stage: string): void {
  for (const node of graph.nodes) {
    for (const [key, value] of Object.entries(node)) {
      const data = (value as Partial<Tensor> | null)?.data;
      if (!(data instanceof Float32Array)) continue;
      const i = firstNonFinite(data);
      if (i >= 0) throw new UserError(`node ${oneLine(node.name, 80)} (${node.op}): ${key}[${i}] is ${data[i]} after ${stage} (the file's values overflow float32)`);
    }
  }
}
