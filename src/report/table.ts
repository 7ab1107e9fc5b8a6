import { oneLine } from '../errors.js';

/** Plain-text tables with right-aligned numeric columns; a cell (a name from a model) stays on one line. */
export function renderTable(header: string[], rawRows: string[][], indent = '  '): string {
  const rows = rawRows.map((r) => r.map((c) => oneLine(c, 120)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    indent + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
