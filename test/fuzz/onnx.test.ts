/**
 * Fuzzing the ONNX loader in-process: thousands of byte-level and protobuf-level mutations of
 * the fixtures, each through loadModel (file read, protobuf decode, op table, import passes,
 * graph checks). Every case must end in a user error naming the file or a successful load;
 * a sample of the successful loads must then be accepted by onnxruntime (the reference: what
 * snnc accepts, the runtime it hands the graph to must accept too).
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
import { byteMutation, mutateBytes } from './mutate.js';
import { mutateOnnx, onnxMutation } from './onnx-mutate.js';

const FIXTURES = fs
  .readdirSync('fixtures/onnx')
  .filter((f) => f.endsWith('.onnx'))
  .map((f) => ({ name: f, bytes: new Uint8Array(fs.readFileSync(path.join('fixtures/onnx', f))) }));
const dir = fuzzDir('onnx');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Successful loads whose graph differs from every fixture's own (the mutation changed what
 * the network computes or how), to be run on onnxruntime afterwards.
 */
const accepted = new Map<string, { mutation: string; graph: Graph }>();
const MAX_ACCEPTED = 400;
const originals = new Set<string>();

/** The graph's structure: ops, wiring, attributes and tensor dims, not the weight values. */
function graphKey(model: LoadedModel): string | null {
  if (model.kind !== 'ann') return null;
  const { input, output, nodes } = model.graph;
  return JSON.stringify({ input, output, nodes }, (_, v) => (v instanceof Float32Array ? v.length : v));
}

async function load(bytes: Uint8Array, tally: Tally, mutation: unknown): Promise<void> {
  const file = path.join(dir, 'case.onnx');
  fs.writeFileSync(file, bytes);
  let loaded: LoadedModel | undefined;
  // awaited: loading may be asynchronous (TF.js folders); an ONNX load is synchronous inside.
  tally.add(await outcomeOfAsync(file, async () => void (loaded = await loadModel(file)), mutation));
  if (!loaded || accepted.size >= MAX_ACCEPTED) return;
  const key = graphKey(loaded);
  if (key && !originals.has(key) && loaded.kind === 'ann') accepted.set(key, { mutation: JSON.stringify(mutation), graph: loaded.graph });
}

beforeAll(async () => {
  for (const f of FIXTURES) {
    const file = path.join(dir, f.name);
    fs.writeFileSync(file, f.bytes);
    try {
      const key = graphKey(await loadModel(file));
      if (key) originals.add(key);
    } catch {
      // A fixture snnc refuses (unsupported activations): no graph to compare with.
    }
  }
});

const fixture = fc.constantFrom(...FIXTURES);

describe('ONNX loader under fuzzing', () => {
  it('byte-level truncations, bit flips, overwrites, insertions and deletions', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(fixture, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), async (f, ms) => {
        await load(ms.reduce(mutateBytes, f.bytes), tally, ms);
      }),
      { seed: SEED, numRuns: runs(2500) },
    );
    printMessages(`byte-level: ${tally.ok} loaded, ${tally.user} refused`);
    expect(tally.user).toBeGreaterThan(0);
  });

  it('every truncation of every fixture', async () => {
    const tally = new Tally();
    for (const f of FIXTURES) for (let n = 0; n < f.bytes.length; n += 11) await load(f.bytes.subarray(0, n), tally, { truncate: n });
    expect(tally.user).toBeGreaterThan(0);
  });

  it('protobuf-level mutations of dims, data types, attributes, node inputs, op types, the graph input and the opset', async () => {
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(fixture, fc.array(onnxMutation, { minLength: 1, maxLength: 3 }), async (f, ms) => {
        await load(mutateOnnx(f.bytes, ms), tally, [f.name, ms]);
      }),
      { seed: SEED, numRuns: runs(3500) },
    );
    printMessages(`protobuf-level: ${tally.ok} loaded, ${tally.user} refused`);
    // Both outcomes occur: the mutations reach past the first checks into the op builders.
    expect(tally.user).toBeGreaterThan(tally.ok / 4);
    expect(tally.ok).toBeGreaterThan(0);
  });

  it('mutated graphs the loader accepted, onnxruntime accepts and runs', async () => {
    expect(accepted.size).toBeGreaterThan(5);
    for (const { mutation, graph } of accepted.values()) {
      const inputShape = graph.input.shape;
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(exportOnnx(graph), { logSeverityLevel: 4 });
      } catch (err) {
        throw new Error(`onnxruntime refuses a graph snnc accepted after ${mutation}: ${(err as Error).message}`);
      }
      try {
        const x = new ort.Tensor('float32', new Float32Array(2 * sizeOf(inputShape)).fill(0.5), [2, ...inputShape]);
        const out = await session.run({ [session.inputNames[0]!]: x });
        expect(out[session.outputNames[0]!]!.dims[0], mutation).toBe(2);
      } finally {
        await session.release();
      }
    }
  });
});
