/**
 * Fuzzing the converted-network loader (.snn.json manifest + .snn.bin weights) in-process:
 * field mutations of the manifest (wrong kinds, nudged numbers, deleted keys, paths that leave
 * the folder), byte-level mutations of the manifest text, and of the weights file, with the
 * checksum left stale or updated to match (so that NaN or infinite weights get past it).
 * Every case must load or end in a user error naming the manifest or the weights file; every
 * structurally new network that loads must run on the spiking simulator and its reference
 * ANN on onnxruntime, and plan as NIR (what `snnc export` writes) or be refused by it as a
 * user error.
 */
import fc from 'fast-check';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { DEFAULT_CONVERSION } from '../../src/model/conversion-settings.js';
import { neuronOf } from '../../src/convert/convert.js';
import { DEFAULT_PREPROCESS } from '../../src/model/dataset.js';
import { loadModel } from '../../src/convert/load-model.js';
import { planNir } from '../../src/io/nir/plan.js';
import { exportOnnx } from '../../src/io/onnx/export.js';
import { saveSnn } from '../../src/io/snn-file.js';
import type { ConversionSettings } from '../../src/model/conversion-settings.js';
import type { SnnModel } from '../../src/model/snn-model.js';
import { runPasses } from '../../src/passes/pass.js';
import { convertPipeline } from '../../src/passes/pipelines.js';
import type { ActivationStats } from '../../src/model/activation-stats.js';
import { OrtModel } from '../../src/runtime/ort.js';
import { SnnSimulator } from '../../src/runtime/simulator.js';
import { inferShapes } from '../../src/ir/shapes.js';
import { sizeOf } from '../../src/ir/tensor.js';
import { fuzzDir, outcomeOfAsync, printMessages, runs, SEED, Tally } from './harness.js';
import { byteMutation, jsonMutation, mutateBytes, mutateJson } from './mutate.js';

// The CLI's defaults, with a short calibration and a refractory period of one step.
const SETTINGS: ConversionSettings = { ...DEFAULT_CONVERSION, percentile: 99.9, calibSamples: 10, calibData: 'none', tRefSteps: 1 };

const dir = fuzzDir('snn');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Seed {
  name: string;
  manifest: Record<string, unknown>;
  bin: Uint8Array;
}
const seeds: Seed[] = [];

/** Converts a fixture with made-up calibration statistics (lambda 1 or per channel): no data, no onnxruntime needed. */
async function convertFixture(name: string, channelwise: boolean): Promise<Seed> {
  const loaded = await loadModel(path.join('fixtures/onnx', name));
  if (loaded.kind !== 'ann') throw new Error('expected an ANN');
  const stats = new Map<string, ActivationStats>();
  for (const node of loaded.graph.nodes) {
    if (node.op !== 'relu') continue;
    stats.set(node.name, { lambda: channelwise ? [0.5, 1, 2, 4].slice(0, 1) : [1.5], clippedFraction: 0.01, max: 3, activeFraction: 0.4 });
  }
  const settings = { ...SETTINGS, channelwise };
  const converted = runPasses(loaded.graph, convertPipeline(stats, neuronOf(settings))).graph;
  // Per-channel v(0) shifts, as potential calibration writes them, so that mutations reach them too.
  const shapes = inferShapes(converted);
  const snn = {
    ...converted,
    nodes: converted.nodes.map((n) => (n.op === 'spike' ? { ...n, vInitShift: Array.from({ length: shapes.get(n.output)![0]! }, (_, c) => 0.05 * c) } : n)),
  };
  const model: SnnModel = {
    source: { model: name, sha256: loaded.sha256 },
    preprocess: DEFAULT_PREPROCESS,
    conversion: settings,
    calibration: [...stats].map(([layer, s]) => ({ layer, ...s })),
    snn,
    ann: loaded.graph,
  };
  const file = path.join(dir, `seed-${name}.snn.json`);
  saveSnn(model, file);
  return {
    name,
    manifest: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>,
    bin: new Uint8Array(fs.readFileSync(file.replace(/\.json$/, '.bin'))),
  };
}

beforeAll(async () => {
  for (const name of ['convnet.onnx', 'residual.onnx', 'matmul.onnx']) seeds.push(await convertFixture(name, name === 'residual.onnx'));
});

const MANIFEST = path.join(dir, 'case.snn.json');
const WEIGHTS = path.join(dir, 'case.snn.bin');

/** Networks that loaded, by structure (ops, wiring, attributes, dims; not weight values). */
const accepted = new Map<string, { what: string; model: SnnModel }>();
const originals = new Set<string>();
const structure = (m: SnnModel): string =>
  JSON.stringify({ snn: m.snn, ann: m.ann }, (_, v) => (v instanceof Float32Array ? v.length : v));

async function load(manifest: string | Uint8Array, bin: Uint8Array, tally: Tally, what: unknown): Promise<void> {
  fs.writeFileSync(MANIFEST, manifest);
  fs.writeFileSync(WEIGHTS, bin);
  let model: SnnModel | undefined;
  tally.add(
    await outcomeOfAsync(
      [MANIFEST, WEIGHTS],
      async () => {
        const loaded = await loadModel(MANIFEST);
        if (loaded.kind === 'snn') model = loaded.model;
      },
      what,
    ),
  );
  if (model) {
    const key = structure(model);
    if (!originals.has(key) && accepted.size < 200) accepted.set(key, { what: JSON.stringify(what), model });
  }
}

/** The manifest with the weights file renamed to the case's and, optionally, its size and checksum matching `bin`. */
function withWeights(manifest: Record<string, unknown>, bin: Uint8Array, matchChecksum: boolean): Record<string, unknown> {
  const weights = { ...(manifest.weights as Record<string, unknown>), file: path.basename(WEIGHTS) };
  if (matchChecksum) Object.assign(weights, { bytes: bin.length, sha256: crypto.createHash('sha256').update(bin).digest('hex') });
  return { ...manifest, weights };
}

const seed = fc.nat();
const pick = (i: number): Seed => seeds[i % seeds.length]!;

describe('converted-network loader under fuzzing', () => {
  it('loads the unmutated seeds', async () => {
    for (const s of seeds) {
      const tally = new Tally();
      await load(JSON.stringify(withWeights(s.manifest, s.bin, false)), s.bin, tally, s.name);
      expect(tally.ok).toBe(1);
      const loaded = await loadModel(MANIFEST);
      if (loaded.kind === 'snn') originals.add(structure(loaded.model));
    }
  });

  it('manifest field mutations: other kinds, nudged numbers, deleted keys, paths out of the folder', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(seed, fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), async (i, ms) => {
        const s = pick(i);
        const manifest = mutateJson(withWeights(s.manifest, s.bin, false), ms);
        await load(JSON.stringify(manifest), s.bin, tally, [s.name, ms]);
      }),
      { seed: SEED, numRuns: runs(2000) },
    );
    printMessages(`manifest fields: ${tally.ok} loaded, ${tally.user} refused`);
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.user).toBeGreaterThan(tally.ok);
  });

  it('manifest text mutations: truncations, bit flips, inserted and deleted bytes', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(seed, fc.array(byteMutation, { minLength: 1, maxLength: 2 }), async (i, ms) => {
        const s = pick(i);
        const text = new TextEncoder().encode(JSON.stringify(withWeights(s.manifest, s.bin, false), null, 1));
        await load(ms.reduce(mutateBytes, text), s.bin, tally, [s.name, ms]);
      }),
      { seed: SEED, numRuns: runs(800) },
    );
    printMessages(`manifest text: ${tally.ok} loaded, ${tally.user} refused`);
    expect(tally.user).toBeGreaterThan(0);
  });

  it('weights mutations, with the checksum stale or updated to match', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(seed, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), fc.boolean(), async (i, ms, match) => {
        const s = pick(i);
        const bin = ms.reduce(mutateBytes, s.bin);
        await load(JSON.stringify(withWeights(s.manifest, bin, match)), bin, tally, [s.name, ms, match]);
      }),
      { seed: SEED, numRuns: runs(1000) },
    );
    printMessages(`weights: ${tally.ok} loaded, ${tally.user} refused`);
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.user).toBeGreaterThan(0);
  });

  it('structurally new networks that loaded run on the simulator, their ANN on onnxruntime, and plan as NIR', async () => {
    expect(accepted.size).toBeGreaterThan(3);
    for (const { what, model } of accepted.values()) {
      try {
        const sim = await SnnSimulator.create(model.snn, 2, { threads: 1 });
        try {
          const x = new Float32Array(sizeOf(model.snn.input.shape)).fill(0.5);
          const r = await sim.runBatch(x, 1);
          expect(r.predictions.length).toBe(2);
        } finally {
          await sim.release();
        }
        const ann = await OrtModel.create(exportOnnx(model.ann), { threads: 1 });
        await ann.release();
        // NIR may refuse what it cannot express (a user error), but nothing else.
        try {
          planNir(model, { dtS: 1e-3, readout: 'integrator' });
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
        }
      } catch (err) {
        throw new Error(`a network snnc accepted fails to run after ${what}: ${(err as Error).stack}`);
      }
    }
  });
});
