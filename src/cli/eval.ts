/** snnc eval <model>: convert (unless already converted), run ANN and SNN, report accuracy vs timesteps. */
import { Command } from 'commander';
import { writeFileAtomic } from '../util/atomic-write.js';
import { addConfigOption } from './config.js';
import { addJsonOption, emitResult, jsonOutputs } from './json-output.js';
import { addConversionOptions, addDataOptions, addSimulationOptions, type RawOptions } from './options.js';
import { planEval } from './plan.js';
import { measure } from './prepare.js';
import { checkOutputs, commandInputs } from './outputs.js';
import { Progress } from './progress.js';

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('convert a model (or load a converted .snn.json), run ANN and SNN, report accuracy at every timestep')
    .argument('<model>', 'ONNX model (.onnx), TF.js model.json (or its folder), converted network (.snn.json) or NIR graph (.nir)')
    .option('--plot <file.svg>', 'also write the chart of accuracy vs timesteps (SVG)')
    .option('--report <file.html>', 'also write a self-contained HTML report: charts and the per-layer table')
    .option('--no-timing', 'leave wall-clock times out of the JSON report (for byte-identical reruns)')
    .option('-q, --quiet', 'no progress on stderr');
  addJsonOption(cmd, 'the report');
  addSimulationOptions(cmd);
  addDataOptions(cmd);
  addConversionOptions(cmd);
  addConfigOption(cmd);
  return cmd.action(async (file: string, o: RawOptions) => {
    const began = performance.now();
    const plan = planEval(file, cmd, o);
    checkOutputs([...jsonOutputs(o), ...(['plot', 'report'] as const).filter((f) => o[f]).map((f) => ({ flag: `--${f}`, file: String(o[f]) }))], commandInputs(file, o));
    const progress = new Progress(o.quiet === true);
    try {
      const measured = await measure(plan, progress);
      progress.stop();
      // Loaded once there is a report: a refused input ends before they (and the simulator they import) load.
      const [{ renderEvalReport }, { renderEvalHtml }, { evalAccuracySpec }, { renderSvg }] = await Promise.all([
        import('../report/eval-report.js'),
        import('../report/html.js'),
        import('../report/charts.js'),
        import('../report/svg.js'),
      ]);
      const report = { ...measured, timing: { ...measured.timing!, totalSeconds: (performance.now() - began) / 1000 } };
      const { timing, ...rest } = report;
      emitResult(o, () => renderEvalReport(report), () => (o.timing === false ? rest : { ...rest, timing }));
      if (o.plot) writeFileAtomic(String(o.plot), await renderSvg(evalAccuracySpec(report), 'accuracy'));
      if (o.report) writeFileAtomic(String(o.report), await renderEvalHtml(o.timing === false ? rest : report));
    } finally {
      progress.stop();
    }
  });
}
