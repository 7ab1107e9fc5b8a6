/**
 * Opens any model snnc reads (see io/load-model.ts) and runs the import pipeline on an ANN:
 * ANNs leave here as IR graphs after affine folding, with the loader's and the passes' log.
 */
import { withContextAsync } from '../errors.js';
import { checkFiniteParameters } from '../io/graph-checks.js';
import { readModel, type LoadedModel } from '../io/load-model.js';
import { assertValid } from '../ir/verify.js';
import { importPipeline } from '../passes/pipelines.js';
import { runPasses } from '../passes/pass.js';

/** `maxMemoryBytes`: the run's memory budget (--max-memory); default: half of this machine's memory. */
export async function loadModel(file: string, options: { maxMemoryBytes?: number } = {}): Promise<LoadedModel> {
  const loaded = await readModel(file, options);
  if (loaded.kind === 'snn') return loaded;
  return withContextAsync(file, async () => {
    const cleaned = runPasses(loaded.graph, importPipeline);
    // Folding must not overflow float32; anything else invalid now is a bug in a pass.
    checkFiniteParameters(cleaned.graph, 'folding constants');
    assertValid(cleaned.graph, 'the import pipeline');
    return { ...loaded, graph: cleaned.graph, log: [...loaded.log, ...cleaned.log] };
  });
}
