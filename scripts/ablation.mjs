#!/usr/bin/env node
// The ablation table of docs/conversion.md: each row adds one conversion technique to the row above, every
// row one `snnc eval` run on the whole test set, read at several t from that run.
//
//   node scripts/ablation.mjs [--model models/mnist-cnn.onnx] [--data mnist] [--timesteps 64]
//                             [--steps 4,8,16,32,64] [--limit N] [--out out/ablation]
//                             [--flags '<flags for every row, e.g. preprocessing>']
//
// Writes <out>/<row>.json (the eval reports) and <out>/table.md, and prints the table.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/mnist-cnn.onnx' },
    data: { type: 'string', default: 'mnist' },
    timesteps: { type: 'string', default: '64' },
    steps: { type: 'string', default: '4,8,16,32,64' },
    limit: { type: 'string' },
    out: { type: 'string', default: 'out/ablation' },
    flags: { type: 'string', default: '' },
  },
});

// Cumulative: each row is the row above plus one technique.
const ROWS = [
  ['max-norm, reset to zero', ['--percentile', '100', '--reset', 'zero', '--v-init', '0']],
  ['+ percentile (p99.99)', ['--percentile', '99.99', '--reset', 'zero', '--v-init', '0']],
  ['+ reset by subtraction', ['--percentile', '99.99', '--reset', 'subtract', '--v-init', '0']],
  ['+ v(0) = θ/2', ['--percentile', '99.99', '--reset', 'subtract', '--v-init', '0.5']],
  ['+ channel-wise', ['--percentile', '99.99', '--reset', 'subtract', '--v-init', '0.5', '--channelwise']],
  ['+ bias calibration (at T=16)', ['--percentile', '99.99', '--reset', 'subtract', '--v-init', '0.5', '--channelwise', '--calibrate', 'bias', '--calib-timesteps', '16']],
  ['channel-wise, v(0) random (no calibration)', ['--percentile', '99.99', '--reset', 'subtract', '--v-init', 'random', '--channelwise']],
  ['+ bias calibration (at T=16)', ['--percentile', '99.99', '--reset', 'subtract', '--v-init', 'random', '--channelwise', '--calibrate', 'bias', '--calib-timesteps', '16']],
];

fs.mkdirSync(o.out, { recursive: true });
const steps = o.steps.split(',').map(Number);
const common = o.flags.split(/\s+/).filter(Boolean);
const lines = [];
let ann = null;
for (const [i, [label, flags]] of ROWS.entries()) {
  const json = path.join(o.out, `row${i + 1}.json`);
  const args = ['bin/snnc', 'eval', o.model, '--data', o.data, '--timesteps', o.timesteps, '--json', json, '--no-timing', '--quiet', ...common, ...flags];
  if (o.limit) args.push('--limit', o.limit);
  process.stderr.write(`${label}: snnc ${args.slice(1).join(' ')}\n`);
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const report = JSON.parse(fs.readFileSync(json, 'utf8'));
  ann = report.ann.accuracy;
  const cells = steps.map((t) => `${(100 * report.snn.accuracyByStep[t - 1]).toFixed(2)}`);
  lines.push(`| ${label} | \`${flags.join(' ')}\` | ${cells.join(' | ')} |`);
}
const header = [
  `ANN accuracy ${(100 * ann).toFixed(2)}% (${o.model}${common.length ? ` ${common.join(' ')}` : ''}, ${o.data}${o.limit ? `, first ${o.limit} samples` : ''}); SNN accuracy (%) at t:`,
  '',
  `| configuration | flags | ${steps.map((t) => `t=${t}`).join(' | ')} |`,
  `| --- | --- | ${steps.map(() => '---:').join(' | ')} |`,
];
const table = [...header, ...lines].join('\n') + '\n';
fs.writeFileSync(path.join(o.out, 'table.md'), table);
process.stdout.write(table);
