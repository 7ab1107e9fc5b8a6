/**
 * Fuzzing the TF.js layers-model loader in-process: field mutations of model.json (layer
 * configs, shapes and dtypes of the weights manifest, weight paths that leave the folder:
 * '..', absolute paths, URLs), byte-level mutations of model.json and of the weight shard.
 * Every case must load or end in a user error naming model.json; a sample of the graphs that
 * load must run on onnxruntime.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/convert/load-model.js';
import type { LoadedModel } from '../../src/io/load-model.js';
import { exportOnnx } from '../../src/io/onnx/export.js';
import type { Graph } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/tensor.js';
import { fuzzDir, outcomeOfAsync, printMessages, runs, SEED, Tally } from './harness.js';
import { byteMutation, jsonMutation, mutateBytes, mutateJson } from './mutate.js';

const SOURCES = ['mlp', 'cnn', 'functional', 'squashing'].map((name) => {
  const dir = path.join('fixtures/tfjs', name);
  return {
    name,
    model: JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, unknown>,
    weights: new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin'))),
  };
});
const dir = fuzzDir('tfjs');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const MODEL = path.join(dir, 'model.json');
const WEIGHTS = path.join(dir, 'weights.bin');

/** Graphs that loaded, by structure (not weight values), to be run on onnxruntime. */
const accepted = new Map<string, { what: string; graph: Graph }>();
const originals = new Set<string>();
const structure = (g: Graph): string => JSON.stringify(g, (_, v) => (v instanceof Float32Array ? v.length : v));

async function load(model: string | Uint8Array, weights: Uint8Array, tally: Tally, what: unknown): Promise<LoadedModel | undefined> {
  fs.writeFileSync(MODEL, model);
  fs.writeFileSync(WEIGHTS, weights);
  let loaded: LoadedModel | undefined;
  tally.add(await outcomeOfAsync(MODEL, async () => void (loaded = await loadModel(MODEL)), what));
  if (loaded?.kind === 'ann') {
    const key = structure(loaded.graph);
    if (!originals.has(key) && accepted.size < 100) accepted.set(key, { what: JSON.stringify(what), graph: loaded.graph });
  }
  return loaded;
}

const source = fc.nat().map((i) => SOURCES[i % SOURCES.length]!);

beforeAll(async () => {
  for (const s of SOURCES) {
    const loaded = await load(JSON.stringify(s.model), s.weights, new Tally(), s.name);
    if (loaded?.kind === 'ann') originals.add(structure(loaded.graph));
  }
  accepted.clear();
});

describe('TF.js loader under fuzzing', () => {
  it('model.json field mutations: layer configs, manifest shapes and dtypes, weight paths out of the folder', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(source, fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), async (s, ms) => {
        await load(JSON.stringify(mutateJson(s.model, ms)), s.weights, tally, [s.name, ms]);
      }),
      { seed: SEED, numRuns: runs(1500) },
    );
    printMessages(`model.json fields: ${tally.ok} loaded, ${tally.user} refused`);
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.user).toBeGreaterThan(0);
  });

  it('model.json text and weight shard byte mutations', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(source, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), fc.boolean(), async (s, ms, shard) => {
        const text = new TextEncoder().encode(JSON.stringify(s.model));
        await load(shard ? text : ms.reduce(mutateBytes, text), shard ? ms.reduce(mutateBytes, s.weights) : s.weights, tally, [s.name, ms, shard]);
      }),
      { seed: SEED, numRuns: runs(800) },
    );
    printMessages(`bytes: ${tally.ok} loaded, ${tally.user} refused`);
    expect(tally.user).toBeGreaterThan(0);
  });

  it('weight paths that leave the model folder are refused, never read', async () => {
    // A file beside the folder with the right weights: loading it would succeed, so any escape shows.
    const mlp = SOURCES.find((s) => s.name === 'mlp')!;
    fs.writeFileSync(path.join(path.dirname(dir), `${path.basename(dir)}-outside.bin`), mlp.weights);
    const outside = `${path.basename(dir)}-outside.bin`;
    const escape = fc.oneof(
      fc.constantFrom(`../${outside}`, `..\\${outside}`, `sub/../../${outside}`, `./../${outside}`, path.join(path.dirname(dir), outside)),
      fc.constantFrom(`file://${path.join(path.dirname(dir), outside)}`, 'https://example.com/weights.bin', 'C:\\weights.bin', '\\\\server\\w.bin', '%2e%2e/w.bin'),
      fc.string({ maxLength: 12 }).map((x) => `../${x}`),
    );
    const tally = new Tally();
    try {
      await fc.assert(
        fc.asyncProperty(escape, async (weightPath) => {
          const model = structuredClone(mlp.model) as { weightsManifest: { paths: string[] }[] };
          model.weightsManifest[0]!.paths = [weightPath];
          const loaded = await load(JSON.stringify(model), mlp.weights, tally, weightPath);
          expect(loaded, weightPath).toBeUndefined();
        }),
        { seed: SEED, numRuns: runs(200) },
      );
    } finally {
      fs.rmSync(path.join(path.dirname(dir), outside), { force: true });
    }
    expect(tally.ok).toBe(0);
  });

  it('structurally new graphs that loaded run on onnxruntime', async () => {
    for (const { what, graph } of accepted.values()) {
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(exportOnnx(graph), { logSeverityLevel: 4 });
      } catch (err) {
        throw new Error(`onnxruntime refuses a graph snnc accepted after ${what}: ${(err as Error).message}`);
      }
      try {
        const shape = graph.input.shape;
        const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(sizeOf(shape)).fill(0.5), [1, ...shape]) });
        expect(out[session.outputNames[0]!]!.dims[0], what).toBe(1);
      } finally {
        await session.release();
      }
    }
  });
});
