/**
 * npm run bench:executors: the cost of each executor of the linear nodes on spikes, on the
 * inputs they see in a real run, for runtime/linear/executor-costs.ts. Converts the model
 * (defaults of `snnc eval`), runs one batch of test images for T steps, keeps the temporal
 * input of every conv and dense node, then times onnxruntime (one thread) and the native and
 * WebAssembly event-driven kernels (with product tables when the input has levels, and with multiplies)
 * over those rows: best of five, process CPU time. Prints ns per dense multiply-add
 * (onnxruntime), ns per event multiply-add (density x dense multiply-adds) and the crossover
 * density. CPU times grow with the machine's load; the ratios are what carry over.
 *
 *   node dist/bench/executors.js [--model models/mnist-cnn.onnx] [--data mnist] [--samples 54] [--timesteps 32]
 */
import os from 'node:os';
import { Command } from 'commander';
import { parseNumber } from '../cli/options.js';
import { convertAnn } from '../convert/convert.js';
import { loadModel } from '../convert/load-model.js';
import { loadDataset } from '../io/data/registry.js';
import type { ConvNode, DenseNode, Node } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes.js';
import { sizeOf } from '../ir/tensor.js';
import { DEFAULT_CONVERSION } from '../model/conversion-settings.js';
import { DEFAULT_PREPROCESS, preprocessBatch } from '../model/dataset.js';
import { renderTable } from '../report/table.js';
import type { LinearOp } from '../runtime/linear/linear-op.js';
import { OrtLinear } from '../runtime/linear/ort-linear.js';
import { NativeConv, NativeDense } from '../runtime/linear/native-linear.js';
import { WasmConv, WasmDense } from '../runtime/linear/wasm-linear.js';
import { nativeStatus } from '../runtime/native/addon.js';
import type { Signal } from '../runtime/signal.js';
import { SnnSimulator } from '../runtime/simulator.js';

interface Captured {
  node: Node;
  chunks: { x: Float32Array; rows: number; levels: number | undefined }[];
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Best of five CPU times (ms) of `op` over every captured chunk. */
async function time(op: LinearOp, c: Captured, inPer: number, outPer: number, levels: boolean): Promise<number> {
  const y = new Float32Array(Math.max(...c.chunks.map((k) => k.rows)) * outPer);
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t = cpuMs();
    for (const k of c.chunks) {
      const signal: Signal = { data: k.x.subarray(0, k.rows * inPer), temporal: true, ...(levels && k.levels !== undefined ? { levels: k.levels } : {}) };
      await op.run(signal, k.rows, y.subarray(0, k.rows * outPer));
    }
    best = Math.min(best, cpuMs() - t);
  }
  return best;
}

/** Multiply-adds of a dense pass over one row (taps inside the input only). */
function denseMacs(node: ConvNode | DenseNode, inShape: number[], outShape: number[]): number {
  if (node.op === 'dense') return sizeOf(inShape) * sizeOf(outShape);
  const [cIn, inH, inW] = inShape as [number, number, number];
  const [cOut, outH, outW] = outShape as [number, number, number];
  const [, , kH, kW] = node.weight.dims as [number, number, number, number];
  let taps = 0;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ky = 0; ky < kH; ky++) {
        for (let kx = 0; kx < kW; kx++) {
          const iy = oy * node.strides[0] - node.pads[0] + ky * node.dilations[0];
          const ix = ox * node.strides[1] - node.pads[1] + kx * node.dilations[1];
          if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) taps++;
        }
      }
    }
  }
  return taps * cIn * cOut;
}

async function main(): Promise<void> {
  const o = new Command('bench:executors')
    .option('--model <file>', 'ONNX model', 'models/mnist-cnn.onnx')
    .option('--data <name>', 'dataset', 'mnist')
    .option('--samples <n>', 'test images (one batch)', '54')
    .option('--timesteps <n>', 'timesteps', '32')
    .parse(process.argv)
    .opts<Record<string, string>>();
  const samples = parseNumber('--samples', o.samples!, { min: 1, integer: true });
  const T = parseNumber('--timesteps', o.timesteps!, { min: 1, integer: true });
  const loaded = await loadModel(o.model!);
  if (loaded.kind !== 'ann') throw new Error(`bench:executors needs an ANN (.onnx): ${o.model}`);
  const data = o.data!;
  const { model } = await convertAnn(loaded, DEFAULT_PREPROCESS, DEFAULT_CONVERSION, loadDataset(`${data}:train`), { batchSize: 100 });
  const g = model.snn;
  const shapes = inferShapes(g);
  const captured = new Map<string, Captured>();
  const sim = await SnnSimulator.create(g, T, { threads: 1 });
  const x = preprocessBatch(loadDataset(data), 0, samples, model.preprocess);
  await sim.runBatch(x, samples, {
    tap: (node, inputs, chunk) => {
      const input = inputs[0]!;
      if ((node.op !== 'conv' && node.op !== 'dense') || !input.temporal) return;
      const rows = chunk.steps * chunk.batch;
      const c = captured.get(node.name) ?? { node, chunks: [] };
      c.chunks.push({ x: input.data.slice(0, rows * sizeOf(shapes.get(node.inputs[0]!)!)), rows, levels: input.levels });
      captured.set(node.name, c);
    },
  });
  await sim.release();
  const table: string[][] = [];
  for (const c of captured.values()) {
    const node = c.node as ConvNode | DenseNode;
    const inShape = shapes.get(node.inputs[0]!)!;
    const outShape = shapes.get(node.output)!;
    const inPer = sizeOf(inShape);
    const outPer = sizeOf(outShape);
    const rows = c.chunks.reduce((s, k) => s + k.rows, 0);
    let nonZero = 0;
    for (const k of c.chunks) for (let i = 0; i < k.rows * inPer; i++) if (k.x[i] !== 0) nonZero++;
    const density = nonZero / (rows * inPer);
    const macs = denseMacs(node, inShape, outShape) * rows;
    const ort = await OrtLinear.create(node, inShape, outShape, { threads: 1 });
    const ortNs = ((await time(ort, c, inPer, outPer, false)) * 1e6) / macs;
    await ort.release();
    const row = (executor: string, ns: number, per: 'dense' | 'event') => [node.name, executor, `${(100 * density).toFixed(1)}%`, ns.toFixed(4), per, per === 'event' ? `${(100 * (ortNs / ns)).toFixed(1)}%` : ''];
    table.push(row('onnxruntime', ortNs, 'dense'));
    const levels = c.chunks[0]!.levels !== undefined;
    const kernels: [string, LinearOp | null][] = [
      ['native', node.op === 'conv' ? NativeConv.create(node, inShape, outShape) : NativeDense.create(node)],
      ['wasm', node.op === 'conv' ? WasmConv.create(node, inShape, outShape) : WasmDense.create(node)],
    ];
    for (const [name, events] of kernels) {
      if (events === null) continue;
      if (levels && node.op === 'conv') table.push(row(`${name}, product tables`, ((await time(events, c, inPer, outPer, true)) * 1e6) / (macs * density), 'event'));
      table.push(row(name, ((await time(events, c, inPer, outPer, false)) * 1e6) / (macs * density), 'event'));
    }
  }
  const load = os.loadavg().map((l) => l.toFixed(2));
  process.stdout.write(`${o.model} on ${data}, ${samples} images, T = ${T}, one thread; load average ${load.join(' ')}\n`);
  process.stdout.write(`${nativeStatus()}\n`);
  process.stdout.write(renderTable(['node', 'executor', 'input density', 'ns per multiply-add', 'per', 'crossover density'], table) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:executors: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
