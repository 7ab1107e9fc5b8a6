import { oneLine } from '../errors.js';

/** Plain-text tables with right-aligned numeric columns; a cell (a name from a model) stays on one line. */
export function renderTable(header: string[], rawRows: string[][], indent = '  '): string {
  const rows = rawRows.map((r) => r.map((c) => oneLine(c, 120)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    indent + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const pct = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;

/** An accuracy difference in percentage points, signed: '+0.11 pp', '-0.58 pp', '0.00 pp'. */
export function ppDelta(accuracy: number, reference: number): string {
  const text = (100 * (accuracy - reference)).toFixed(2);
  const zero = Number(text) === 0;
  return `${zero ? '0.00' : Number(text) > 0 ? `+${text}` : text} pp`;
}

/** 1234567 -> 1.23M, 12345 -> 12.3k. */
export function compact(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}
