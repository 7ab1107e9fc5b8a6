/** Numbers as snnc prints them: in tables, reports and check results. */

/** A fraction as a percentage: 0.9831 -> '98.31%'. */
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
