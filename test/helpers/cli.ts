/**
 * Runs the built CLI (bin/snnc) as a user would. Asynchronous, so that the test worker's
 * event loop stays free while a long command runs.
 */
import { spawn } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Non-empty stderr lines. */
  stderrLines: string[];
}

export function snnc(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/snnc', ...args], { timeout: options.timeoutMs ?? 600_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout, stderr, stderrLines: stderr.split('\n').filter((l) => l !== '') }),
    );
  });
}
