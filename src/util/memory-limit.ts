/**
 * The memory budget for untrusted inputs (--max-memory). Every size a file declares (tensor
 * dims, an IDX header, a file's own length) is checked against it before anything is
 * allocated, so a corrupt or hostile header is refused with one clear line instead of
 * exhausting the machine.
 *
 * Default: half of the machine's physical memory, and never more than the largest buffer
 * Node.js can allocate. The CLI parses --max-memory and passes the budget down explicitly.
 */
import { constants } from 'node:buffer';
import os from 'node:os';
import { UserError } from '../errors.js';

export const DEFAULT_MEMORY_FRACTION = 0.5;

/**
 * Half of this machine's memory: what --max-memory defaults to. A constant of the machine,
 * not a setting: the budget of a run is passed explicitly (a `maxMemoryBytes` parameter) from
 * the CLI to every loader and runtime.
 */
export function defaultMaxMemoryBytes(): number {
  return Math.floor(os.totalmem() * DEFAULT_MEMORY_FRACTION);
}

/**
 * Refuses an allocation of `bytes` that `what` would need (e.g. "initializer 'w'") when it
 * exceeds `limitBytes` (the run's --max-memory) or what one Node.js buffer can hold. Call it
 * before allocating. A `what` ending in "weights" or other plurals reads "need": pass `plural`.
 */
export function checkAllocation(bytes: number, what: string, limitBytes: number, plural = false): void {
  const needs = `${what} ${plural ? 'need' : 'needs'} ${formatBytes(bytes)}`;
  if (!(bytes <= limitBytes)) throw new UserError(`${needs}, more than --max-memory ${formatBytes(limitBytes)}`);
  if (bytes > constants.MAX_LENGTH) throw new UserError(`${needs}, more than one Node.js buffer can hold (${formatBytes(constants.MAX_LENGTH)})`);
}

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Parses "512M", "4G", "1.5GiB", "64kb" or a plain byte count (binary units); null when malformed. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return null;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** 1536 -> "1.5 KiB"; exact byte counts below 1 KiB; non-finite or huge values as they are. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
