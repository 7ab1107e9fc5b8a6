/** A sweep as CSV (RFC 4180): one row per configuration, the accuracy at every step in columns acc_t1..acc_tT. */
import type { SweepFile } from '../eval/sweep.js';

function field(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function sweepCsv(sweep: SweepFile): string {
  const keys = sweep.grid.map((a) => a.key);
  const steps = Array.from({ length: sweep.timesteps }, (_, i) => `acc_t${i + 1}`);
  const header = [
    'id',
    ...keys,
    'ann_accuracy',
    'final_accuracy',
    'target_accuracy',
    'steps_to_target',
    'steps_within_1pp',
    'steps_within_0_1pp',
    'mean_firing_rate',
    ...steps,
  ];
  const rows = sweep.results.map((r) => [
    r.id,
    ...keys.map((k) => r.params[k] ?? null),
    r.ann.accuracy,
    r.snn.finalAccuracy,
    r.target.accuracy,
    r.target.steps,
    r.snn.latency.within1pp,
    r.snn.latency.within0_1pp,
    r.meanFiringRate,
    ...r.snn.accuracyByStep,
  ]);
  return [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
