/**
 * The CLI's options against the core: flag defaults are the core's defaults, and core errors
 * name records and datasets, which the CLI turns into flags.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { loadDataset } from '../src/io/data/registry.js';
import { DEFAULT_CONVERSION } from '../src/model/conversion-settings.js';
import { checkPreprocess, DEFAULT_PREPROCESS } from '../src/model/dataset.js';
import { DEFAULT_RUNTIME, DEFAULT_TIMESTEPS } from '../src/runtime/settings.js';
import { addConversionOptions, addDataOptions, addSimulationOptions, namingFlags, type RawOptions } from '../src/cli/options.js';
import { planEval, planPrepare } from '../src/cli/plan.js';

/** A command with every shared option, parsed from `args`. */
function parsed(args: string[]): { cmd: Command; o: RawOptions } {
  const cmd = addConversionOptions(addDataOptions(addSimulationOptions(new Command('probe').argument('<model>'))));
  cmd.exitOverride().parse(['m.onnx', ...args], { from: 'user' });
  return { cmd, o: cmd.opts() };
}

const evalPlanOf = (file: string, args: string[]) => {
  const { cmd, o } = parsed(args);
  return planEval(file, cmd, o);
};

describe('flag defaults', () => {
  it('parse to the core defaults: DEFAULT_CONVERSION, DEFAULT_RUNTIME, DEFAULT_TIMESTEPS, no preprocessing change', () => {
    const plan = evalPlanOf('m.onnx', []);
    expect(plan.conversion!.options).toEqual(DEFAULT_CONVERSION);
    expect(plan.simulation).toEqual({ timesteps: DEFAULT_TIMESTEPS, runtime: DEFAULT_RUNTIME });
    expect(plan.preprocess).toEqual({});
    expect(plan.conversion!.calib).toEqual({ spec: 'mnist:train', flag: '--data', isEvalData: false });
  });

  it('without a run, calibration runs take DEFAULT_CONVERSION.calibTimesteps, the default run length; with one, its T', () => {
    // `snnc convert` then `snnc eval x.snn.json` with no -T calibrate for the run they make.
    expect(DEFAULT_CONVERSION.calibTimesteps).toBe(DEFAULT_TIMESTEPS);
    const { cmd, o } = parsed(['--timesteps', '7']);
    expect(planPrepare('m.onnx', cmd, o).conversion!.options.calibTimesteps).toBe(DEFAULT_CONVERSION.calibTimesteps);
    expect(planEval('m.onnx', cmd, o).conversion!.options.calibTimesteps).toBe(7);
  });

  it('a converted network has no conversion plan, and refuses every conversion flag', () => {
    for (const flag of ['--channelwise', '--calib-data=x', '--tau-m=3', '--calib-timesteps=4']) {
      expect(() => evalPlanOf('n.snn.json', [flag])).toThrow(new RegExp(`already converted: ${flag.split('=')[0]} would have no effect`));
    }
    expect(evalPlanOf('n.snn.json', []).conversion).toBeNull();
    expect(() => evalPlanOf('n.snn.json', ['--t-ref', '2'])).toThrow(/n\.snn\.json is already converted: --t-ref would have no effect/);
  });

  it('--calib-data is the calibration source when given, and the evaluation data when there is no training split', () => {
    expect(evalPlanOf('m.onnx', ['--calib-data', 'idx:a,b']).conversion!.calib).toEqual({
      spec: 'idx:a,b',
      flag: '--calib-data',
      isEvalData: false,
    });
    expect(evalPlanOf('m.onnx', ['--data', 'idx:a,b']).conversion!.calib).toEqual({
      spec: 'idx:a,b',
      flag: '--data',
      isEvalData: true,
    });
  });
});

describe('core errors name records, the CLI names flags', () => {
  it('an unknown dataset is reported by its name, without a flag', () => {
    expect(() => loadDataset('foo')).toThrow(/^dataset foo: unknown dataset/);
    expect(() => loadDataset('mnist:validation')).toThrow(/^dataset mnist:validation: unknown split 'validation'/);
  });

  it('a bad preprocessing field is reported by its field', () => {
    expect(() => checkPreprocess({ ...DEFAULT_PREPROCESS, std: [0] }, 1)).toThrow(/^preprocess\.std: values must be non-zero$/);
  });

  it('namingFlags swaps a leading field for its flag and leaves other errors alone', () => {
    const fail = (message: string) => () => {
      throw new UserError(message);
    };
    const flags = { 'dataset foo': '--calib-data foo' };
    expect(() => namingFlags(flags, fail('dataset foo: unknown dataset'))).toThrow(/^--calib-data foo: unknown dataset$/);
    expect(() => namingFlags(flags, fail('dataset foobar: unknown dataset'))).toThrow(/^dataset foobar: unknown dataset$/);
    expect(() => namingFlags(flags, fail('x.gz: not an IDX file'))).toThrow(/^x\.gz: not an IDX file$/);
    expect(() =>
      namingFlags(flags, () => {
        throw new TypeError('dataset foo: a bug');
      }),
    ).toThrow(TypeError);
  });
});
