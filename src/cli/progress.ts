/**
 * Progress on stderr through ora; silent when stderr is not a terminal or with --quiet, so
 * stdout carries only results and logs stay clean in CI.
 */
import type { Ora } from 'ora';
import { printWarning } from './print.js';

let ora: typeof import('ora').default | undefined;

/**
 * Whether a spinner can show: on a terminal, and one that reports its width (on some CI
 * pseudo-terminals it does not, and ora would clear an unbounded number of lines every frame).
 */
function spinnerPossible(): boolean {
  return process.stderr.isTTY === true && (process.stderr.columns ?? 0) > 0;
}

/**
 * Loads ora if a spinner can show at all (main.ts, before a command runs): it costs a process
 * start about 60 ms of CPU, for nothing when stderr is not a terminal (CI, pipes, scripts).
 */
export async function loadSpinner(): Promise<void> {
  if (spinnerPossible()) ora ??= (await import('ora')).default;
}

export class Progress {
  private readonly spinner: Ora | null;
  /** Shown before every update, e.g. the sweep configuration being run. */
  private prefix = '';
  private readonly warned = new Set<string>();

  constructor(quiet: boolean) {
    this.spinner = !quiet && ora !== undefined && spinnerPossible() ? ora({ stream: process.stderr }).start() : null;
  }

  update(text: string): void {
    if (this.spinner) this.spinner.text = this.prefix + text;
  }

  /** Names what the following updates belong to (e.g. `[2/6] percentile=99 t-ref=1`). */
  setPrefix(prefix: string): void {
    this.prefix = prefix === '' ? '' : `${prefix}: `;
  }

  /** Prints a line on stderr above the spinner (warnings), each message once. */
  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    if (this.spinner) this.spinner.clear();
    printWarning(message);
    if (this.spinner) this.spinner.render();
  }

  stop(): void {
    this.spinner?.stop();
  }
}

export function batchText(phase: string, done: number, total: number): string {
  return `${phase}: ${done}/${total} samples`;
}
