/** snnc convert <model> --out <name>.snn.json: calibrate and convert once, save for later runs. */
import { Command } from 'commander';
import { oneLine, UserError } from '../errors.js';
import { saveSnn, snnFilePaths } from '../io/snn-file.js';
import { addConfigOption } from './config.js';
import { addConversionOptions, addDataOptions, namingFlags, type RawOptions } from './options.js';
import { planPrepare } from './plan.js';
import { prepareSnn } from './prepare.js';
import { checkOutputs, commandInputs } from './outputs.js';
import { logLines, printOut } from './print.js';
import { Progress } from './progress.js';

export function convertCommand(): Command {
  const cmd = new Command('convert')
    .description('convert an ANN into a spiking network and save it (<name>.snn.json + <name>.snn.bin)')
    .argument('<model>', 'ONNX model (.onnx), TF.js model.json (or its folder), or a NIR graph (.nir) to save as a converted network')
    .option('--out <file>', 'output manifest, <name>.snn.json (weights go to <name>.snn.bin); required')
    .option('-q, --quiet', 'no progress on stderr');
  addDataOptions(cmd);
  addConversionOptions(cmd);
  addConfigOption(cmd);
  return cmd.action(async (file: string, o: RawOptions) => {
    // Checked here, not by commander, so that --config can give it.
    if (o.out === undefined) throw new UserError('--out <file> is required');
    const out = String(o.out);
    const paths = namingFlags({ [out]: `--out ${out}` }, () => snnFilePaths(out));
    if (file.endsWith('.snn.json')) throw new UserError(`${file} is already converted`);
    checkOutputs([{ flag: '--out', file: paths.manifest }, { flag: '--out (its weights file)', file: paths.weights }], commandInputs(file, o));
    const plan = planPrepare(file, cmd, o);
    const progress = new Progress(o.quiet === true);
    try {
      const prepared = await prepareSnn(plan, progress);
      progress.stop();
      saveSnn(prepared.model, out);
      printOut([`wrote ${oneLine(paths.manifest)} and ${oneLine(paths.weights)}`, ...logLines(prepared.log)]);
    } finally {
      progress.stop();
    }
  });
}
