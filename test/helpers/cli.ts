/**
 * Runs the snnc command line (bin/snnc, compiled dist/) as a user would. Asynchronous, so
 * the test worker stays responsive while a command runs.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve('bin/snnc');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function snnc(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: { ...process.env, FORCE_COLOR: '0' } }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}
