/**
 * Input currents for the neuron lab and their command-line spec:
 *
 *   <nA>                                              constant current, e.g. 0.3
 *   pulse:amp=<nA>,start=<ms>,end=<ms>[,base=<nA>]    amp on [start, end), base (default 0) elsewhere
 *   sine:amp=<nA>,freq=<Hz>[,offset=<nA>]             offset + amp sin(2 pi freq t)
 */
import { UserError } from '../errors.js';

export type Stimulus =
  | { kind: 'constant'; ampNa: number }
  | { kind: 'pulse'; ampNa: number; startMs: number; endMs: number; baseNa: number }
  | { kind: 'sine'; ampNa: number; freqHz: number; offsetNa: number };

/** The current in nA at time t (ms). */
export function currentAt(s: Stimulus, tMs: number): number {
  switch (s.kind) {
    case 'constant':
      return s.ampNa;
    case 'pulse':
      return tMs >= s.startMs && tMs < s.endMs ? s.ampNa : s.baseNa;
    case 'sine':
      return s.offsetNa + s.ampNa * Math.sin((2 * Math.PI * s.freqHz * tMs) / 1000);
  }
}

/** The largest |current| the stimulus reaches, in nA. */
export function peakCurrentNa(s: Stimulus): number {
  switch (s.kind) {
    case 'constant':
      return Math.abs(s.ampNa);
    case 'pulse':
      return Math.max(Math.abs(s.ampNa), Math.abs(s.baseNa));
    case 'sine':
      return Math.abs(s.offsetNa) + Math.abs(s.ampNa);
  }
}

export function describeStimulus(s: Stimulus): string {
  switch (s.kind) {
    case 'constant':
      return `constant ${s.ampNa} nA`;
    case 'pulse':
      return `pulse of ${s.ampNa} nA from ${s.startMs} ms to ${s.endMs} ms (${s.baseNa} nA outside)`;
    case 'sine':
      return `sine of amplitude ${s.ampNa} nA at ${s.freqHz} Hz around ${s.offsetNa} nA`;
  }
}

const KEYS = { pulse: { required: ['amp', 'start', 'end'], optional: ['base'] }, sine: { required: ['amp', 'freq'], optional: ['offset'] } } as const;

export function parseStimulus(flag: string, spec: string): Stimulus {
  const fail = (why: string): never => {
    throw new UserError(`${flag} '${spec}': ${why}; expected <nA>, pulse:amp=<nA>,start=<ms>,end=<ms>[,base=<nA>] or sine:amp=<nA>,freq=<Hz>[,offset=<nA>]`);
  };
  const colon = spec.indexOf(':');
  if (colon < 0) {
    const amp = Number(spec);
    if (spec.trim() === '' || !Number.isFinite(amp)) fail('not a number');
    return { kind: 'constant', ampNa: amp };
  }
  const kind = spec.slice(0, colon);
  if (kind !== 'pulse' && kind !== 'sine') return fail(`unknown kind '${kind}'`);
  const values = new Map<string, number>();
  for (const part of spec.slice(colon + 1).split(',')) {
    const [key, value, ...rest] = part.split('=');
    const known: readonly string[] = [...KEYS[kind].required, ...KEYS[kind].optional];
    if (key === undefined || value === undefined || rest.length > 0 || !known.includes(key)) fail(`'${part}' is not one of ${known.map((k) => `${k}=`).join(', ')}`);
    const x = Number(value);
    if (value!.trim() === '' || !Number.isFinite(x)) fail(`${key} '${value}' is not a number`);
    if (values.has(key!)) fail(`${key} given twice`);
    values.set(key!, x);
  }
  for (const key of KEYS[kind].required) if (!values.has(key)) fail(`${key}= missing`);
  const get = (key: string, fallback = 0): number => values.get(key) ?? fallback;
  if (kind === 'pulse') {
    if (!(get('end') > get('start'))) fail(`end ${get('end')} ms is not after start ${get('start')} ms`);
    return { kind, ampNa: get('amp'), startMs: get('start'), endMs: get('end'), baseNa: get('base') };
  }
  if (!(get('freq') > 0)) fail(`freq ${get('freq')} Hz, expected > 0`);
  return { kind, ampNa: get('amp'), freqHz: get('freq'), offsetNa: get('offset') };
}
