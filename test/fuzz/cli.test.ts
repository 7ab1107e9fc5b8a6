/**
 * Fuzz cases through the CLI: mutated ONNX and TF.js models into `convert --out`, mutated
 * converted networks into `eval --json` and `export --out`, mutated IDX datasets into
 * `eval --json`. Each case is one the loader refuses in-process; through the CLI it must exit
 * with code 2, print exactly one line on stderr and nothing on stdout, and leave no output file
 * (nor any temporary) behind.
 *
 * Every case runs through the command's code path in this process (helpers/cli-in-process.ts:
 * parsing, the command, the error turned into an exit code and a line); a sample of each kind
 * also runs through the real binary (bin/snnc on dist/, built by test/setup/build.ts), where it
 * must end the same way with the same line. A run of the binary is two Node.js starts, about
 * 0.5 s of CPU (a TF.js case 0.7 s); in-process a case takes milliseconds.
 */
import { execFile } from 'node:child_process';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadDataset } from '../../src/io/data/registry.js';
import { loadModel } from '../../src/convert/load-model.js';
import { snncInProcess } from '../helpers/cli-in-process.js';
import { idxBytes } from '../helpers/idx.js';
import { fuzzDir, runs, SEED } from './harness.js';
import { byteMutation, jsonMutation, mutateBytes, mutateJson } from './mutate.js';
import { mutateOnnx, onnxMutation } from './onnx-mutate.js';

const BIN = path.resolve('bin/snnc');
const dir = fuzzDir('cli');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * How many cases of each kind run (in-process), and how many of them also through the binary
 * (FUZZ_BINARY=all: every case, about 0.5 s of CPU each).
 */
const CASES = { onnx: runs(105), tfjs: runs(45), snn: runs(75), idx: runs(75) };
const THROUGH_BINARY = process.env.FUZZ_BINARY === 'all' ? Infinity : runs(6);

interface Case {
  name: string;
  args: string[];
  /** Files the command would write: none of them may exist afterwards. */
  outputs: string[];
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBinary(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** What is wrong with a case's ending (exit 2, one line on stderr, nothing on stdout, no output, no temporary), or null. */
function problem(c: Case, r: Result, how: string): string | null {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const left = c.outputs.filter((f) => fs.existsSync(f));
  const temporaries = fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  if (r.code === 2 && lines.length === 1 && r.stdout === '' && left.length === 0 && temporaries.length === 0) return null;
  return `${c.name} (${how}): exit ${r.code}, stderr ${JSON.stringify(r.stderr.slice(0, 600))}, stdout ${r.stdout.length} chars, left ${[...left, ...temporaries].join(' ')}`;
}

/** Every case in-process, one after the other; then THROUGH_BINARY of them, spread over the list, through bin/snnc two at a time (this machine has two cores). */
async function runAll(cases: Case[]): Promise<string[]> {
  const problems: string[] = [];
  const inProcess = new Map<Case, Result>();
  for (const c of cases) {
    const r = await snncInProcess(c.args);
    inProcess.set(c, r);
    const p = problem(c, r, 'in-process');
    if (p) problems.push(p);
  }
  const step = cases.length / Math.min(THROUGH_BINARY, cases.length);
  const sample = Array.from({ length: Math.min(THROUGH_BINARY, cases.length) }, (_, i) => cases[Math.floor(i * step)]!);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sample.length) {
      const c = sample[next++]!;
      const r = await runBinary(c.args);
      const p = problem(c, r, 'bin/snnc');
      if (p) problems.push(p);
      else if (r.stderr !== inProcess.get(c)!.stderr) problems.push(`${c.name}: bin/snnc printed ${JSON.stringify(r.stderr)}, in-process ${JSON.stringify(inProcess.get(c)!.stderr)}`);
    }
  };
  await Promise.all([worker(), worker()]);
  return problems;
}

/** Keeps the first `n` mutants that the loader refuses in-process (those must fail the same way through the CLI). */
async function refused<T>(arb: fc.Arbitrary<T>, n: number, write: (m: T, i: number) => string, load: (file: string) => unknown): Promise<string[]> {
  const files: string[] = [];
  for (const [i, m] of fc.sample(arb, { seed: SEED, numRuns: n * 10 }).entries()) {
    if (files.length >= n) break;
    const file = write(m, i);
    try {
      await load(file);
    } catch (err) {
      if (err instanceof UserError) files.push(file);
      else throw err;
    }
  }
  return files;
}

let data = '';
let goodSnn = '';

beforeAll(async () => {
  // A small dataset that fits convnet.onnx ([1,18,18], 5 classes), and a converted network of it.
  const n = 20;
  const images = path.join(dir, 'images.idx');
  const labels = path.join(dir, 'labels.idx');
  fs.writeFileSync(images, idxBytes([n, 18, 18], Uint8Array.from({ length: n * 324 }, (_, i) => (i * 7) % 256)));
  fs.writeFileSync(labels, idxBytes([n], Uint8Array.from({ length: n }, (_, i) => i % 5)));
  data = `idx:${images},${labels}`;
  goodSnn = path.join(dir, 'good.snn.json');
  const r = await snncInProcess(['convert', 'fixtures/onnx/convnet.onnx', '--out', goodSnn, '--data', data, '--calib-data', data, '-q']);
  expect(r.code, r.stderr).toBe(0);
});

async function onnxCases(): Promise<Case[]> {
  const source = new Uint8Array(fs.readFileSync('fixtures/onnx/convnet.onnx'));
  const mutation = fc.oneof(
    fc.array(byteMutation, { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce(mutateBytes, source)),
    fc.array(onnxMutation, { minLength: 1, maxLength: 3 }).map((ms) => mutateOnnx(source, ms)),
  );
  const files = await refused(mutation, CASES.onnx, (bytes, i) => {
    const file = path.join(dir, `m${i}.onnx`);
    fs.writeFileSync(file, bytes);
    return file;
  }, loadModel);
  return files.map((file, i) => {
    const out = path.join(dir, `out${i}.snn.json`);
    return { name: file, args: ['convert', file, '--out', out, '--data', data, '--calib-data', data], outputs: [out, out.replace(/json$/, 'bin')] };
  });
}

async function tfjsCases(): Promise<Case[]> {
  const model = JSON.parse(fs.readFileSync('fixtures/tfjs/cnn/model.json', 'utf8')) as Record<string, unknown>;
  const weights = new Uint8Array(fs.readFileSync('fixtures/tfjs/cnn/weights.bin'));
  const text = new TextEncoder().encode(JSON.stringify(model));
  const mutation = fc.oneof(
    fc.array(jsonMutation, { minLength: 1, maxLength: 3 }).map((ms) => ({ model: JSON.stringify(mutateJson(model, ms)), weights })),
    fc.array(byteMutation, { minLength: 1, maxLength: 2 }).map((ms) => ({ model: ms.reduce(mutateBytes, text), weights })),
    fc.array(byteMutation, { minLength: 1, maxLength: 2 }).map((ms) => ({ model: text, weights: ms.reduce(mutateBytes, weights) })),
  );
  const files = await refused(mutation, CASES.tfjs, (m, i) => {
    const caseDir = fs.mkdtempSync(path.join(dir, `t${i}-`));
    fs.writeFileSync(path.join(caseDir, 'model.json'), m.model);
    fs.writeFileSync(path.join(caseDir, 'weights.bin'), m.weights);
    return path.join(caseDir, 'model.json');
  }, loadModel);
  return files.map((file, i) => {
    const out = path.join(dir, `tfjs${i}.snn.json`);
    return { name: file, args: ['convert', file, '--out', out, '--data', data, '--calib-data', data], outputs: [out, out.replace(/json$/, 'bin')] };
  });
}

async function snnCases(): Promise<Case[]> {
  const manifest = JSON.parse(fs.readFileSync(goodSnn, 'utf8')) as Record<string, unknown>;
  const weights = new Uint8Array(fs.readFileSync(goodSnn.replace(/json$/, 'bin')));
  const mutation = fc.oneof(
    fc.array(jsonMutation, { minLength: 1, maxLength: 3 }).map((ms) => ({ manifest: JSON.stringify(mutateJson(manifest, ms)), weights })),
    fc.array(byteMutation, { minLength: 1, maxLength: 2 }).map((ms) => ({ manifest: JSON.stringify(manifest), weights: ms.reduce(mutateBytes, weights) })),
  );
  const files = await refused(mutation, CASES.snn, (m, i) => {
    // Each case in its own folder: the manifest names its weights file 'good.snn.bin'.
    const caseDir = fs.mkdtempSync(path.join(dir, `s${i}-`));
    fs.writeFileSync(path.join(caseDir, 'good.snn.json'), m.manifest);
    fs.writeFileSync(path.join(caseDir, 'good.snn.bin'), m.weights);
    return path.join(caseDir, 'good.snn.json');
  }, loadModel);
  // Half through eval --json, half through export to NIR.
  return files.map((file, i) => {
    const out = path.join(dir, i % 2 === 0 ? `report${i}.json` : `net${i}.nir`);
    const args = i % 2 === 0 ? ['eval', file, '--data', data, '--json', out, '-T', '4'] : ['export', file, '--format', 'nir', '--out', out];
    return { name: file, args, outputs: [out] };
  });
}

async function idxCases(): Promise<Case[]> {
  const [, imagesFile, labelsFile] = /^idx:(.*),(.*)$/.exec(data)!;
  const sources = { images: new Uint8Array(fs.readFileSync(imagesFile!)), labels: new Uint8Array(fs.readFileSync(labelsFile!)) };
  const mutation = fc.record({
    target: fc.constantFrom<'images' | 'labels'>('images', 'labels'),
    gzip: fc.boolean(),
    ms: fc.array(byteMutation, { minLength: 1, maxLength: 3 }),
  });
  const specs = await refused(mutation, CASES.idx, (m, i) => {
    const files = { images: path.join(dir, `d${i}-images.idx`), labels: path.join(dir, `d${i}-labels.idx`) };
    for (const t of ['images', 'labels'] as const) {
      const bytes = t === m.target ? m.ms.reduce(mutateBytes, sources[t]) : sources[t];
      fs.writeFileSync(files[t], m.gzip ? zlib.gzipSync(bytes) : bytes);
    }
    return `idx:${files.images},${files.labels}`;
  }, (spec) => loadDataset(spec));
  return specs.map((spec, i) => {
    const out = path.join(dir, `data-report${i}.json`);
    return { name: spec, args: ['eval', goodSnn, '--data', spec, '--json', out, '-T', '4'], outputs: [out] };
  });
}

// Generous: a hang is caught per case (execFile's timeout); this only bounds a loaded machine.
describe('the CLI on refused inputs', { timeout: 600_000 }, () => {
  it('mutated ONNX models through convert: exit 2, one line, no output', async () => {
    const cases = await onnxCases();
    expect(cases.length).toBe(CASES.onnx);
    expect(await runAll(cases)).toEqual([]);
  });

  it('mutated TF.js models through convert: exit 2, one line, no output', async () => {
    const cases = await tfjsCases();
    expect(cases.length).toBe(CASES.tfjs);
    expect(await runAll(cases)).toEqual([]);
  });

  it('mutated converted networks through eval --json and export: exit 2, one line, no output', async () => {
    const cases = await snnCases();
    expect(cases.length).toBe(CASES.snn);
    expect(await runAll(cases)).toEqual([]);
  });

  it('mutated IDX datasets through eval --json: exit 2, one line, no output', async () => {
    const cases = await idxCases();
    expect(cases.length).toBe(CASES.idx);
    expect(await runAll(cases)).toEqual([]);
  });
});
