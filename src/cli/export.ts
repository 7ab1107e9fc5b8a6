/**
 * snnc export <model|snn> --format nir --out <file.nir>: writes the converted network as NIR
 * (Neuromorphic Intermediate Representation, HDF5). An ANN is converted first, with the same
 * options as `snnc convert`. What NIR cannot express is listed on stderr, one warning line
 * per loss, and kept in the nodes' metadata; --strict refuses to write the file instead.
 */
import { Command } from 'commander';
import { oneLine, UserError } from '../errors.js';
import type { Loss } from '../io/nir/document.js';
import type { FlattenConvention } from '../io/nir/layers.js';
import type { ThresholdTest } from '../io/nir/neuron.js';
import type { NirCompat, PoolConvention, ReadoutKind } from '../io/nir/plan.js';
import { addConversionOptions, addDataOptions, parseChoice, parseNumber, type RawOptions } from './options.js';
import { planPrepare } from './plan.js';
import { prepareSnn } from './prepare.js';
import { checkOutputs, commandInputs } from './outputs.js';
import { logLines, printOut } from './print.js';
import { Progress } from './progress.js';

export function describeLoss(loss: Loss): string {
  return `NIR node '${loss.node}' (${loss.type}, from snnc '${loss.source}'): ${loss.message}`;
}

function parseDt(text: string): number {
  const dtS = parseNumber('--dt', text);
  if (!(dtS > 0)) throw new UserError(`--dt: ${text} must be a positive number of seconds per step`);
  return dtS;
}

export function exportCommand(): Command {
  const cmd = new Command('export')
    .description('export a converted network (or an ANN, converted first) to NIR, the HDF5 format neuromorphic frameworks read')
    .argument('<model>', 'ONNX model (.onnx), converted network (.snn.json) or NIR graph (.nir)')
    .requiredOption('--format <format>', 'output format: nir')
    .requiredOption('--out <file>', 'output file, e.g. model.nir')
    .option('--dt <seconds>', 'seconds per snnc timestep (NIR time constants and resistances are in seconds); IF gets r = 1/dt: 1 by default, which snnTorch requires', '1')
    .option('--nir-readout <kind>', 'current (the Output is the per-step current, to be summed over steps: every importer takes it) or integrator (an I node sums it: Norse rejects I, snnTorch and Sinabs drop it)', 'current')
    .option('--nir-threshold <test>', "gt (v_threshold for NIR's v > v_threshold: Norse, snnTorch) or ge (for importers that fire on v >= v_threshold: Sinabs)", 'gt')
    .option('--nir-flatten <convention>', "start_dim of Flatten: nir (-rank: NIR's first axis from the end, which every importer reads as the whole sample, batched or not), zero (0: NIR's axes; Norse and snnTorch then flatten the batch axis too) or torch (1: batch axis first)", 'nir')
    .option('--nir-pool <node>', 'avg (average pooling as NIR AvgPool2d) or sum (as SumPool2d, the divisor folded into the next layer\'s weights: for Sinabs, which drops AvgPool2d)', 'avg')
    .option('--nir-if <node>', 'if (NIR IF nodes) or lif (IF layers as LIF nodes with a leak below float32 resolution: for snnTorch, which runs NIR IF as a leaky neuron; with --dt 0.0001, its fixed LIF step)', 'if')
    .option('--nir-compat <version>', 'current (nir >= 1.0.6) or 1.0.4 (no metadata and no v_reset, for older nir readers)', 'current')
    .option('--strict', 'fail (exit 2, no file) if anything cannot be expressed exactly in NIR')
    .option('-q, --quiet', 'no progress on stderr');
  addDataOptions(cmd);
  addConversionOptions(cmd);
  return cmd.action(async (file: string, o: RawOptions) => {
    parseChoice('--format', String(o.format), ['nir'] as const);
    const out = String(o.out);
    checkOutputs([{ flag: '--out', file: out }], commandInputs(file, o));
    const threshold = parseChoice<ThresholdTest>('--nir-threshold', String(o.nirThreshold), ['gt', 'ge']);
    const flatten = parseChoice<FlattenConvention>('--nir-flatten', String(o.nirFlatten), ['nir', 'zero', 'torch']);
    const compat = parseChoice<NirCompat>('--nir-compat', String(o.nirCompat), ['current', '1.0.4']);
    const pool = parseChoice<PoolConvention>('--nir-pool', String(o.nirPool), ['avg', 'sum']);
    const ifAsLif = parseChoice('--nir-if', String(o.nirIf), ['if', 'lif'] as const) === 'lif';
    parseDt(String(o.dt));
    parseChoice<ReadoutKind>('--nir-readout', String(o.nirReadout), ['current', 'integrator']);
    const plan = planPrepare(file, cmd, o);
    const progress = new Progress(o.quiet === true);
    try {
      const prepared = await prepareSnn(plan, progress);
      // The NIR writer, loaded when there is a network to write (not at every snnc start).
      const [{ planNir }, { writeNirFile }] = await Promise.all([import('../io/nir/plan.js'), import('../io/nir/hdf5.js')]);
      // One step is one time unit by default (IF r = 1, which snnTorch asserts and Norse expects),
      // and the readout is the per-step current (the only readout every importer takes).
      const dtS = parseDt(String(o.dt));
      const readout = String(o.nirReadout) as ReadoutKind;
      const doc = planNir(prepared.model, { dtS, readout, threshold, flatten, compat, ifAsLif, pool });
      progress.stop();
      for (const loss of doc.losses) progress.warn(describeLoss(loss));
      if (o.strict === true && doc.losses.length > 0) {
        throw new UserError(`--strict: ${doc.losses.length} construct(s) NIR cannot express exactly (listed above); ${out} not written`);
      }
      await writeNirFile(doc, out);
      const summary = `wrote ${oneLine(out)}: NIR ${doc.version}, ${doc.nodes.size} nodes, ${doc.edges.length} edges, dt ${dtS} s, ${doc.losses.length} loss(es)`;
      printOut([summary, ...logLines(prepared.log)]);
    } finally {
      progress.stop();
    }
  });
}
