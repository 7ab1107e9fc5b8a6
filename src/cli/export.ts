/**
 * snnc export <model|snn> --format nir --out <file.nir>: writes the converted network as NIR
 * (Neuromorphic Intermediate Representation, HDF5). An ANN is converted first, with the same
 * options as `snnc convert`. What NIR cannot express is listed on stderr, one warning line
 * per loss, and kept in the nodes' metadata; --strict refuses to write the file instead.
 */
import { Command } from 'commander';
import { UserError } from '../errors.js';
import type { Loss } from '../io/nir/document.js';
import { writeNirFile } from '../io/nir/hdf5.js';
import { planNir, type ReadoutKind } from '../io/nir/plan.js';
import { checkWritable } from '../util/atomic-write.js';
import { addConversionOptions, addDataOptions, parseChoice, parseNumber, type RawOptions } from './options.js';
import { planPrepare } from './plan.js';
import { prepareSnn } from './prepare.js';
import { Progress } from './progress.js';

export function describeLoss(loss: Loss): string {
  return `NIR node '${loss.node}' (${loss.type}, from snnc '${loss.source}'): ${loss.message}`;
}

export function exportCommand(): Command {
  const cmd = new Command('export')
    .description('export a converted network (or an ANN, converted first) to NIR, the HDF5 format neuromorphic frameworks read')
    .argument('<model>', 'ONNX model (.onnx) or converted network (.snn.json)')
    .requiredOption('--format <format>', 'output format: nir')
    .requiredOption('--out <file>', 'output file, e.g. model.nir')
    .option('--dt <seconds>', 'seconds per snnc timestep (NIR time constants and resistances are in seconds)', '0.001')
    .option('--nir-readout <kind>', 'integrator (an I node sums the output current, as snnc does) or current (the per-step current: a loss)', 'integrator')
    .option('--strict', 'fail (exit 2, no file) if anything cannot be expressed exactly in NIR')
    .option('-q, --quiet', 'no progress on stderr');
  addDataOptions(cmd);
  addConversionOptions(cmd);
  return cmd.action(async (file: string, o: RawOptions) => {
    parseChoice('--format', String(o.format), ['nir'] as const);
    const out = String(o.out);
    checkWritable(out, '--out');
    const dtS = parseNumber('--dt', String(o.dt));
    if (!(dtS > 0)) throw new UserError(`--dt: ${String(o.dt)} must be a positive number of seconds per step`);
    const readout = parseChoice<ReadoutKind>('--nir-readout', String(o.nirReadout), ['integrator', 'current']);
    const plan = planPrepare(file, cmd, o);
    const progress = new Progress(o.quiet === true);
    try {
      const prepared = await prepareSnn(plan, progress);
      const doc = planNir(prepared.model, { dtS, readout });
      progress.stop();
      for (const loss of doc.losses) process.stderr.write(`snnc: warning: ${describeLoss(loss)}\n`);
      if (o.strict === true && doc.losses.length > 0) {
        throw new UserError(`--strict: ${doc.losses.length} construct(s) NIR cannot express exactly (listed above); ${out} not written`);
      }
      await writeNirFile(doc, out);
      const summary = `wrote ${out}: NIR ${doc.version}, ${doc.nodes.size} nodes, ${doc.edges.length} edges, dt ${dtS} s, ${doc.losses.length} loss(es)`;
      process.stdout.write([summary, ...prepared.log.map((l) => `  ${l}`)].join('\n') + '\n');
    } finally {
      progress.stop();
    }
  });
}
