/**
 * Opens any model snnc reads: an ONNX file (.onnx) or a converted network (.snn.json).
 * ANNs leave here as IR graphs after the import pipeline, with the loader's log.
 */
import path from 'node:path';
import { UserError, withContext } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { importPipeline } from '../passes/pipelines.js';
import { runPasses } from '../passes/pass.js';
import { assertValid } from '../ir/verify.js';
import { readFileBytes } from '../util/read-file.js';
import { checkFiniteParameters } from './graph-checks.js';
import { importOnnx } from './onnx/import.js';
import { loadSnn, sha256, type SnnModel } from './snn-file.js';

export interface LoadedAnn {
  kind: 'ann';
  file: string;
  format: 'onnx';
  graph: Graph;
  /** What loading did: folds, removals, layout changes, one line each. */
  log: string[];
  sha256: string;
}

export interface LoadedSnn {
  kind: 'snn';
  file: string;
  model: SnnModel;
}

export type LoadedModel = LoadedAnn | LoadedSnn;

export function loadModel(file: string): LoadedModel {
  return withContext(file, () => {
    if (file.endsWith('.snn.json')) return { kind: 'snn', file, model: loadSnn(file) };
    if (path.extname(file).toLowerCase() === '.onnx') {
      const bytes = readFileBytes(file);
      const imported = importOnnx(bytes);
      const cleaned = runPasses(imported.graph, importPipeline);
      checkFiniteParameters(cleaned.graph, 'folding constants');
      assertValid(cleaned.graph, 'the import pipeline');
      return {
        kind: 'ann',
        file,
        format: 'onnx',
        graph: cleaned.graph,
        log: [`ONNX opset ${imported.opset}, produced by ${imported.producer}`, ...imported.log, ...cleaned.log],
        sha256: sha256(bytes),
      };
    }
    throw new UserError('unknown model format: expected an ONNX file (.onnx) or a converted network (.snn.json)');
  });
}
