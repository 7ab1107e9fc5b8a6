/**
 * The snnc command line: one file per command; this file wires them up and turns errors into
 * exit codes: user errors print one line and exit 2, anything else is an internal error
 * (exit 70, with the stack). Signals, stray errors and broken pipes are handled in
 * util/exit.ts for every command; global options (--max-memory) in options.ts.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_INTERNAL_ERROR, EXIT_REGRESSION, EXIT_USER_ERROR, oneLine, RegressionFound, UserError } from '../errors.js';
import { installExitHandlers } from '../util/exit.js';
import { checkCommand } from './check.js';
import { applyConfig } from './config.js';
import { convertCommand } from './convert.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { inspectCommand } from './inspect.js';
import { mergeCommand } from './merge.js';
import { neuronCommand } from './neuron.js';
import { addGlobalOptions, applyGlobalOptions } from './options.js';
import { printError, printErrorBlock } from './print.js';
import { loadSpinner } from './progress.js';
import { sweepCommand } from './sweep.js';

const VERSION = '0.1.0';

/** `snnc --version`: the version, and which kernels the simulator runs here (native or WebAssembly, and why). */
async function versionWithKernels(): Promise<string> {
  const [{ nativeStatus }, { wasmAvailable }] = await Promise.all([import('../runtime/native/addon.js'), import('../runtime/wasm/module.js')]);
  const wasm = wasmAvailable() ? 'WebAssembly SIMD kernels built' : 'WebAssembly kernels not built: JavaScript kernels instead';
  return `${VERSION}\n${nativeStatus()}\n${wasm}`;
}

export function buildProgram(version = VERSION): Command {
  const program = new Command('snnc')
    .description('convert trained ANNs into spiking neural networks, run them, report accuracy vs latency')
    .version(version)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`snnc: ${str.replace(/^error: /, '').trim()}\n`) })
    // --config <file>: option values from a file, applied before the command runs (flags win).
    .hook('preAction', (_program, command) => applyConfig(command));
  for (const cmd of [evalCommand(), convertCommand(), inspectCommand(), exportCommand(), neuronCommand(), sweepCommand(), mergeCommand(), checkCommand()]) {
    program.addCommand(cmd.exitOverride().configureOutput({ outputError: (str, write) => write(`snnc ${cmd.name()}: ${str.replace(/^error: /, '').trim()}\n`) }));
  }
  addGlobalOptions(program).hook('preAction', (root) => applyGlobalOptions(root.opts()));
  oneLineParseErrors(program, 'snnc');
  return program;
}

/**
 * Commander's parse errors as one line (its suggestions come on a second line), prefixed with
 * the command path, for every command and subcommand; help shows the global options too.
 */
function oneLineParseErrors(cmd: Command, prefix: string): void {
  cmd.configureHelp({ showGlobalOptions: true });
  cmd.configureOutput({ outputError: (str, write) => write(`${prefix}: ${oneLine(str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' '))}\n`) });
  for (const sub of cmd.commands) oneLineParseErrors(sub, `${prefix} ${sub.name()}`);
}

/** The command process: the exit handlers (signals, stray errors, broken pipes), then the command. */
export async function main(argv: string[]): Promise<void> {
  installExitHandlers(exitCodeFor);
  process.exitCode = await runCommand(argv);
}

/**
 * Runs one command line (`argv` as process.argv: node, script, arguments) and returns its exit
 * code, its errors printed the way their kind asks for. Installs no process handlers, so that
 * tests can run many command lines in one process.
 */
export async function runCommand(argv: string[]): Promise<number> {
  try {
    await loadSpinner();
    // The kernels are looked up only when the version is asked for (it loads the native library).
    const asksVersion = argv.slice(2).some((a) => a === '--version' || a === '-V');
    await buildProgram(asksVersion ? await versionWithKernels() : VERSION).parseAsync(argv);
    return 0;
  } catch (err) {
    return exitCodeFor(err);
  }
}

/** Prints `err` the way its kind asks for and returns the exit code. */
function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version end with code 0; commander has already printed its one-line error otherwise.
    return err.exitCode === 0 ? 0 : EXIT_USER_ERROR;
  }
  if (err instanceof RegressionFound) return EXIT_REGRESSION;
  if (err instanceof UserError) {
    printError(err.message);
    return EXIT_USER_ERROR;
  }
  printErrorBlock(`snnc: internal error (a bug in snnc, please report it): ${(err as Error)?.stack ?? String(err)}`);
  return EXIT_INTERNAL_ERROR;
}
