/**
 * ONNX's own backend tests (Debian's libonnx-testdata) for the ops snnc reads, driven by the
 * manifest fixtures/onnx-backend-tests.yaml: the tests expected to pass (run through the IR on
 * onnxruntime, or folded as constants at load time) and the ones snnc refuses, each with the
 * reason its error must give. The reference is each test's own output_0.pb.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UserError } from '../src/errors.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { foldOnnx, importOnnx } from '../src/io/onnx/import.js';
import { decodeModel, decodeTensor, onnx, type ConstTensor } from '../src/io/onnx/proto.js';
import { runPasses } from '../src/passes/pass.js';
import { importPipeline } from '../src/passes/pipelines.js';

const DATA = process.env.SNNC_ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
const manifest = parse(fs.readFileSync('fixtures/onnx-backend-tests.yaml', 'utf8')) as {
  run: string[];
  fold: string[];
  refused: Record<string, string>;
};

interface Case {
  model: Uint8Array;
  /** Names of the graph inputs that are not initializers, in order (input_<i>.pb feeds the i-th). */
  inputNames: string[];
  sets: { inputs: ConstTensor[]; expected: ConstTensor }[];
}

function readCase(test: string): Case {
  const dir = path.join(DATA, test);
  const model = fs.readFileSync(path.join(dir, 'model.onnx'));
  const graph = decodeModel(model).graph!;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputNames = (graph.input ?? []).map((i) => i.name!).filter((n) => !inits.has(n));
  const read = (f: string) => decodeTensor(onnx.TensorProto.decode(fs.readFileSync(f)), f, { finite: false });
  const sets = fs
    .readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .map((d) => path.join(dir, d))
    .map((set) => ({
      inputs: fs.readdirSync(set).filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6))).map((f) => read(path.join(set, f))),
      expected: read(path.join(set, 'output_0.pb')),
    }));
  if (sets.length === 0) throw new Error(`${test}: no test_data_set_*`);
  return { model, inputNames, sets };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) - (atol + rtol * Math.abs(want[i]!));
    if (!(excess <= worst)) [worst, at] = [excess, i];
  }
  expect(at, at < 0 ? '' : `element ${at}: got ${got[at]}, want ${want[at]}`).toBe(-1);
}

async function runThroughIr(c: Case): Promise<void> {
  for (const { inputs, expected } of c.sets) {
    const constants = new Map(c.inputNames.slice(1).map((name, i) => [name, inputs[i + 1]!]));
    const graph = runPasses(importOnnx(c.model, { constants }).graph, importPipeline).graph;
    const x = inputs[0]!;
    const session = await ort.InferenceSession.create(exportOnnx(graph));
    try {
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(x.data), x.dims) });
      const y = out[session.outputNames[0]!]!;
      expect(y.dims).toEqual(expected.dims);
      expectClose(y.data as Float32Array, expected.data, 1e-5, 1e-4);
    } finally {
      await session.release();
    }
  }
}

function foldAll(c: Case): void {
  for (const { inputs, expected } of c.sets) {
    const folded = foldOnnx(c.model, new Map(c.inputNames.map((name, i) => [name, inputs[i]!])));
    expect(folded.dims).toEqual(expected.dims);
    expectClose(folded.data, expected.data, 1e-6, 0);
  }
}

function refusal(c: Case): Error {
  const { inputs } = c.sets[0]!;
  try {
    const constants = new Map(c.inputNames.slice(1).map((name, i) => [name, inputs[i + 1]!]));
    runPasses(importOnnx(c.model, { constants }).graph, importPipeline);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected snnc to refuse the model');
}

if (!fs.existsSync(DATA)) {
  const why = `ONNX backend tests skipped: ${DATA} not found (apt-get install libonnx-testdata, or set SNNC_ONNX_TESTDATA)`;
  console.warn(why);
  describe.skip(why, () => {
    it('needs the test data', () => {});
  });
} else {
  describe('ONNX backend tests run through the IR on onnxruntime', () => {
    it.each(manifest.run)('%s', async (test) => runThroughIr(readCase(test)));
  });
  describe('ONNX backend tests folded as constants', () => {
    it.each(manifest.fold)('%s', (test) => foldAll(readCase(test)));
  });
  describe('ONNX backend tests snnc refuses, with the reason', () => {
    it.each(Object.entries(manifest.refused))('%s', (test, reason) => {
      const err = refusal(readCase(test));
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toContain(reason);
      expect(err.message.split('\n')).toHaveLength(1);
    });
  });
}
