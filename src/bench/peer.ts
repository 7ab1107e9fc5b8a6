/**
 * npm run bench:peer: snnc against SpikingJelly's ann2snn on the shipped MNIST CNN, same
 * machine, same run. Protocol: mode 'max' (snnc: --percentile 100), 1,000 calibration images
 * from the training split, batch 100, 2 threads (torch.set_num_threads; snnc --threads 2),
 * image-steps per second at T = 32 on the first 1,000 MNIST test images, three alternating
 * runs of each, best of three (the least disturbed by other load). snnc's figure is the SNN
 * simulation alone (the batch driver's batches), SpikingJelly's its simulation loop alone.
 *
 *   node dist/bench/peer.js [--python python3] [--spikingjelly DIR] [--runs 3] [--json file]
 *
 * Needs a Python with torch and SpikingJelly (tag 0.0.0.0.14 imports on Debian's torch 1.13:
 * `apt-get install python3-torch python3-tqdm`, SpikingJelly's source folder given by
 * --spikingjelly or $SPIKINGJELLY_PATH). Without them it says what is missing and exits 0.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parseNumber } from '../cli/options.js';
import { convertAnn } from '../convert/convert.js';
import { loadModel } from '../convert/load-model.js';
import { loadDataset } from '../io/data/registry.js';
import type { Graph } from '../ir/graph.js';
import { DEFAULT_CONVERSION } from '../model/conversion-settings.js';
import { DEFAULT_PREPROCESS, limitDataset, maxAbsInput, preprocessBatch, type Dataset } from '../model/dataset.js';
import { renderTable } from '../report/table.js';
import { driveSnn } from '../runtime/batch-driver.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const MODEL = 'models/mnist-cnn.onnx';
const IMAGES = 1000;
const TIMESTEPS = 32;
const BATCH = 100;
const THREADS = 2;

interface PeerRun {
  snnSeconds: number;
  annSeconds: number;
  accuracyAtT: number;
  annAccuracy: number;
  torch?: string;
}

/** The ANN as layers for the Python side: ReLU where snnc has a (clipped) ReLU. */
function networkSpec(g: Graph): object {
  const layers = g.nodes.map((n) => {
    switch (n.op) {
      case 'conv':
        return { kind: 'conv', dims: n.weight.dims, weight: Array.from(n.weight.data), bias: Array.from(n.bias.data), strides: n.strides, pads: [n.pads[0], n.pads[1]] };
      case 'dense':
        return { kind: 'dense', dims: n.weight.dims, weight: Array.from(n.weight.data), bias: Array.from(n.bias.data) };
      case 'relu':
        return { kind: 'relu' };
      case 'avgpool':
        return { kind: 'avgpool', kernel: n.kernel, strides: n.strides };
      case 'flatten':
        return { kind: 'flatten' };
      default:
        throw new Error(`bench:peer: node ${n.name} (${n.op}) has no SpikingJelly counterpart here`);
    }
  });
  return { inputShape: g.input.shape, layers };
}

function writeImages(file: string, ds: Dataset): void {
  const x = preprocessBatch(ds, 0, ds.count, DEFAULT_PREPROCESS);
  fs.writeFileSync(file, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
}

/** Why the peer cannot run here, or null. */
function missingPeer(python: string, env: NodeJS.ProcessEnv): string | null {
  try {
    execFileSync(python, ['-c', 'import torch, spikingjelly.activation_based.ann2snn'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    return null;
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim().split('\n').pop() ?? '';
    return `${python} cannot import torch and SpikingJelly (${stderr || (e as Error).message})`;
  }
}

async function main(): Promise<void> {
  const o = new Command('bench:peer')
    .option('--python <exe>', 'Python with torch (Debian: /usr/bin/python3)', fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3')
    .option('--spikingjelly <dir>', "SpikingJelly's source folder (tag 0.0.0.0.14), default $SPIKINGJELLY_PATH")
    .option('--runs <n>', 'alternating runs of each', '3')
    .option('--json <file>', 'write the results as JSON')
    .parse(process.argv)
    .opts<Record<string, string>>();
  const runs = parseNumber('--runs', o.runs!, { min: 1, integer: true });
  const sjDir = o.spikingjelly ?? process.env.SPIKINGJELLY_PATH;
  const env = { ...process.env, ...(sjDir ? { PYTHONPATH: [sjDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) } : {}) };
  const missing = missingPeer(o.python!, env);
  if (missing !== null) {
    process.stdout.write(`bench:peer skipped: ${missing}.\nInstall torch (apt-get install python3-torch python3-tqdm) and pass SpikingJelly's source (tag 0.0.0.0.14) with --spikingjelly DIR or SPIKINGJELLY_PATH.\n`);
    return;
  }
  const loaded = await loadModel(MODEL);
  if (loaded.kind !== 'ann') throw new Error(`internal: ${MODEL} is not an ANN`);
  const { model } = await convertAnn(loaded, DEFAULT_PREPROCESS, { ...DEFAULT_CONVERSION, percentile: 100, calibSamples: IMAGES }, loadDataset('mnist:train'), { threads: THREADS, batchSize: BATCH });
  const test = limitDataset(loadDataset('mnist'), IMAGES);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snnc-peer-'));
  fs.writeFileSync(path.join(dir, 'network.json'), JSON.stringify(networkSpec(loaded.graph)));
  writeImages(path.join(dir, 'calib.f32'), limitDataset(loadDataset('mnist:train'), IMAGES));
  writeImages(path.join(dir, 'test.f32'), test);
  fs.writeFileSync(path.join(dir, 'test-labels.u8'), Uint8Array.from(test.labels));
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bench', 'spikingjelly_peer.py');

  const snncRuns: PeerRun[] = [];
  const peerRuns: PeerRun[] = [];
  const loadBefore = os.loadavg();
  for (let i = 0; i < runs; i++) {
    let correct = 0;
    const s = await driveSnn(model.snn, TIMESTEPS, { inputScale: maxAbsInput(model.preprocess, 1) }, test, model.preprocess, { threads: THREADS, batchSize: BATCH }, (r, start, count) => {
      for (let b = 0; b < count; b++) if (r.predictions[(TIMESTEPS - 1) * count + b] === test.labels[start + b]) correct++;
    });
    snncRuns.push({ snnSeconds: s.batchSeconds, annSeconds: NaN, accuracyAtT: correct / IMAGES, annAccuracy: NaN });
    process.stderr.write(`snnc run ${i + 1}: ${s.batchSeconds.toFixed(2)} s\n`);
    const out = execFileSync(o.python!, [script, dir, '--timesteps', String(TIMESTEPS), '--batch', String(BATCH), '--threads', String(THREADS)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    peerRuns.push(JSON.parse(out.trim().split('\n').pop()!) as PeerRun);
    process.stderr.write(`SpikingJelly run ${i + 1}: ${peerRuns.at(-1)!.snnSeconds.toFixed(2)} s\n`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const best = (rs: PeerRun[]) => rs.reduce((a, b) => (b.snnSeconds < a.snnSeconds ? b : a));
  const rate = (r: PeerRun) => (IMAGES * TIMESTEPS) / r.snnSeconds;
  const ours = best(snncRuns);
  const theirs = best(peerRuns);
  const result = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, torch: theirs.torch, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
    protocol: { model: MODEL, images: IMAGES, timesteps: TIMESTEPS, batch: BATCH, threads: THREADS, runs, mode: 'max' },
    snnc: { runs: snncRuns.map((r) => r.snnSeconds), imageStepsPerSecond: rate(ours), accuracyAtT: ours.accuracyAtT },
    spikingjelly: { runs: peerRuns.map((r) => r.snnSeconds), imageStepsPerSecond: rate(theirs), accuracyAtT: theirs.accuracyAtT, annSeconds: theirs.annSeconds, annAccuracy: theirs.annAccuracy },
    speedup: rate(ours) / rate(theirs),
  };
  const fmt = (xs: number[]) => xs.map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(
    [
      `${result.machine.cpus} cores (${result.machine.cpuModel}), Node ${process.version}, torch ${theirs.torch}; load average ${fmt(loadBefore)} before, ${fmt(result.machine.loadAverageAfter)} after`,
      `${MODEL}, first ${IMAGES} MNIST test images, T = ${TIMESTEPS}, batch ${BATCH}, ${THREADS} threads, mode max, best of ${runs} alternating runs`,
      renderTable(
        ['simulator', 'SNN seconds (runs)', 'image-steps/s (best)', `accuracy at T = ${TIMESTEPS}`],
        [
          ['snnc', fmt(result.snnc.runs), result.snnc.imageStepsPerSecond.toFixed(0), `${(100 * ours.accuracyAtT).toFixed(2)}%`],
          ['SpikingJelly 0.0.0.0.14', fmt(result.spikingjelly.runs), result.spikingjelly.imageStepsPerSecond.toFixed(0), `${(100 * theirs.accuracyAtT).toFixed(2)}%`],
        ],
      ),
      `snnc / SpikingJelly throughput: ${result.speedup.toFixed(2)}x`,
    ].join('\n') + '\n',
  );
  if (o.json) writeFileAtomic(o.json, JSON.stringify(result, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:peer: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
