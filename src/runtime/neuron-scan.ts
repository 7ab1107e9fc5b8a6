/**
 * Specialised scans of the neuron step (snn/neuron.ts) for the plain IF / LIF neuron: one row
 * of neurons for one timestep, with the bookkeeping the runtime needs fused into the same pass
 * (spike counts per neuron, the list of neurons that fired): the spikes leave as that list,
 * not as a dense row of zeros and ones. They compute exactly what step() computes,
 * in the same double-precision expression, so the spikes and membranes are identical
 * (test/runtime-scan.test.ts checks this against step()).
 */
import type { NeuronLayerParams } from '../ir/graph.js';
import type { NeuronParams } from '../snn/neuron-params.js';

/**
 * The one place that says which neurons have fast scans (these JavaScript ones and the
 * WebAssembly ones of wasm/kernels.ts, which compute the same): for every neuron parameter
 * and every layer parameter, whether the scans handle the value a layer has. Both tables are
 * keyed by the parameter types, so adding a parameter does not compile until it is decided
 * here; a key no table knows (an object from elsewhere) sends the layer to step().
 */
const SCANS_HANDLE_PARAM: Record<keyof NeuronParams, (p: NeuronParams) => boolean> = {
  decay: () => true,
  gain: () => true,
  vRest: () => true,
  vThreshold: () => true,
  vReset: () => true,
  reset: () => true,
  tRefSteps: () => true,
  timing: (p) => p.timing !== 'exact',
  noiseStd: (p) => !p.noiseStd,
  adaptation: (p) => p.adaptation === undefined,
  // Signed spikes: the IF scans (scanIfRow here, the native one of native/scan.c).
  signed: (p) => !p.signed || (isPlainIf(p) && p.reset === 'subtract'),
};

const SCANS_HANDLE_LAYER: Record<keyof NeuronLayerParams, (l: NeuronLayerParams) => boolean> = {
  model: (l) => l.model === 'if' || l.model === 'lif',
  vThreshold: () => true,
  vReset: () => true,
  reset: () => true,
  // v(0) is set when a batch begins, pre-distortion applied to the current before the scan.
  vInitFraction: () => true,
  vInitRandom: () => true,
  predistort: () => true,
  tRefSteps: () => true,
  tauSteps: () => true,
  signed: () => true,
};

function handles<T extends object>(table: Record<keyof T, (x: T) => boolean>, x: T): boolean {
  return Object.keys(x).every((k) => Object.hasOwn(table, k) && table[k as keyof T](x));
}

/** The plain IF / LIF step (no exact timing, noise or adaptation: those run step()). */
export function isPlainNeuron(p: NeuronParams): boolean {
  return handles(SCANS_HANDLE_PARAM, p);
}

/** The fast scan of a layer: 'if' (scanIfRow / scanIf), 'lif' (scanLifRow / scanLif), or null (step() only). */
export function scanVariant(layer: NeuronLayerParams, p: NeuronParams): 'if' | 'lif' | null {
  if (!handles(SCANS_HANDLE_LAYER, layer) || !isPlainNeuron(p)) return null;
  return isPlainIf(p) ? 'if' : 'lif';
}

/** Where one row's inputs, state and outputs are. */
export interface ScanRow {
  /** Currents z[zOffset + i]. */
  zOffset: number;
  /** State v[stateOffset + i], refractory[...], counts[...]. */
  stateOffset: number;
}

export interface ScanBuffers {
  z: Float32Array;
  v: Float32Array;
  refractory: Int32Array;
  counts: Int32Array;
  /** Indices (within the row) of the neurons that fire are appended here, from `eventsAt`. */
  events: Int32Array;
  /** Signed spikes: the value (-1 or 1) of each event, at the event's position. */
  values?: Float32Array;
}

/**
 * IF neuron without leak and refractory period (decay 1, gain 1, vRest 0, tRefSteps 0), the
 * converted network's default: v <- v + z; spike and reset when v >= vThreshold. With signed
 * spikes (reset by subtraction) also a -1 spike when v < vReset with a positive net count
 * (counts hold the net count), as step() does; each event's value then goes to `values`. Scans
 * neurons `active[activeFrom..activeTo)` if given, else 0..n-1. Returns the new event count.
 */
export function scanIfRow(
  p: NeuronParams,
  b: ScanBuffers,
  row: ScanRow,
  n: number,
  eventsAt: number,
  active?: Int32Array,
  activeFrom = 0,
  activeTo = 0,
): number {
  const { z, v, counts, events } = b;
  const { zOffset, stateOffset } = row;
  const threshold = p.vThreshold;
  const subtract = p.reset === 'subtract';
  const drop = p.vThreshold - p.vReset;
  const vReset = p.vReset;
  const values = p.signed ? b.values! : null;
  let e = eventsAt;
  const m = active ? activeTo - activeFrom : n;
  for (let j = 0; j < m; j++) {
    const i = active ? active[activeFrom + j]! : j;
    const s = stateOffset + i;
    // step(): vRest + decay (v - vRest) + gain z with vRest 0, decay 1, gain 1 is v + z.
    const vi = v[s]! + z[zOffset + i]!;
    if (vi >= threshold) {
      v[s] = subtract ? vi - drop : vReset;
      counts[s]!++;
      if (values !== null) values[e] = 1;
      events[e++] = i;
    } else if (values !== null && vi < vReset && counts[s]! > 0) {
      v[s] = vi + drop;
      counts[s]!--;
      values[e] = -1;
      events[e++] = i;
    } else {
      v[s] = vi;
    }
  }
  return e;
}

/** Any plain IF / LIF neuron with refractory period: the same arithmetic as step(). */
export function scanLifRow(
  p: NeuronParams,
  b: ScanBuffers,
  row: ScanRow,
  n: number,
  eventsAt: number,
  active?: Int32Array,
  activeFrom = 0,
  activeTo = 0,
): number {
  const { z, v, refractory, counts, events } = b;
  const { zOffset, stateOffset } = row;
  const { decay, gain, vRest, vThreshold, tRefSteps } = p;
  const subtract = p.reset === 'subtract';
  const drop = vThreshold - p.vReset;
  const vReset = p.vReset;
  let e = eventsAt;
  const m = active ? activeTo - activeFrom : n;
  for (let j = 0; j < m; j++) {
    const i = active ? active[activeFrom + j]! : j;
    const s = stateOffset + i;
    if (refractory[s]! > 0) {
      refractory[s]!--;
      continue;
    }
    const vi = vRest + decay * (v[s]! - vRest) + gain * z[zOffset + i]!;
    if (vi >= vThreshold) {
      v[s] = subtract ? vi - drop : vReset;
      refractory[s] = tRefSteps;
      counts[s]!++;
      events[e++] = i;
    } else {
      v[s] = vi;
    }
  }
  return e;
}

/** Whether scanIfRow applies (otherwise scanLifRow does). */
export function isPlainIf(p: NeuronParams): boolean {
  return p.decay === 1 && p.gain === 1 && p.vRest === 0 && p.tRefSteps === 0;
}

/**
 * Whether a neuron with state v and a constant current z can never fire: with z gain <= 0,
 * vRest <= 0 < vThreshold and 0 <= decay <= 1, v[t+1] <= max(v[t], 0) (the rounding of each
 * operation is monotonic, so this holds in floating point too), so v stays below threshold.
 */
export function silentUnderConstantCurrent(p: NeuronParams, v: number, z: number): boolean {
  return p.gain * z <= 0 && p.vRest <= 0 && p.vThreshold > 0 && p.decay >= 0 && p.decay <= 1 && v < p.vThreshold;
}
