/**
 * Percentiles with linear interpolation between order statistics (numpy's default):
 *   rank = p / 100 * (n - 1),  value = x[floor(rank)] + frac(rank) * (x[floor(rank)+1] - x[floor(rank)])
 * computed by quickselect in O(n) on a scratch copy.
 */

/** Rearranges a[lo..hi] so that a[k] is the k-th smallest; returns it. */
function select(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    // Median of three as pivot keeps sorted or constant inputs fast.
    const mid = (lo + hi) >> 1;
    const x = a[lo]!, y = a[mid]!, z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** p-th percentile (0..100) of `values`; NaN for an empty input. Does not modify `values`. */
export function percentile(values: Float32Array, p: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (p >= 100) return values.reduce((m, v) => (v > m ? v : m), -Infinity);
  const scratch = new Float32Array(values);
  const rank = (Math.max(0, p) / 100) * (n - 1);
  const below = Math.floor(rank);
  const low = select(scratch, below);
  if (below + 1 >= n || rank === below) return low;
  // After select, everything right of `below` is >= low: the next order statistic is their minimum.
  let next = Infinity;
  for (let i = below + 1; i < n; i++) if (scratch[i]! < next) next = scratch[i]!;
  return low + (rank - below) * (next - low);
}
