/**
 * WebAssembly SIMD kernels of the spiking runtime, in AssemblyScript (compiled at install
 * time by `npm run build:wasm` into dist/wasm/kernels.wasm; loaded by src/runtime/wasm/).
 *
 * Every kernel takes byte addresses into the module's own memory, which the JavaScript side
 * lays out (src/runtime/wasm/arena.ts). Each computes exactly what its JavaScript reference
 * computes, operation for operation in the same precision, so results are bit-identical:
 *
 * - scanIf / scanLif: one row of the plain IF / LIF neuron step of src/snn/neuron.ts, with
 *   the membrane update in double precision (float32 state promoted, the result rounded back
 *   to float32 on store, as a Float32Array store rounds), spike counts updated and the
 *   indices of the neurons that fired appended to an event list.
 *
 * Four neurons per iteration: their float32 membranes and currents (one v128 each) are
 * promoted to two f64x2 halves; the threshold comparison gives lane masks, which select the
 * reset value, update the counts (a mask lane is -1: counts - mask) and, through a bitmask,
 * list the neurons that fired.
 */

/** Low and high float32 pairs of a v128 as f64x2. */
// @ts-ignore: decorator
@inline function lo64(a: v128): v128 {
  return f64x2.promote_low_f32x4(a);
}
// @ts-ignore: decorator
@inline function hi64(a: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(a, a, 2, 3, 2, 3));
}
/** Two f64x2 halves rounded back into one f32x4. */
// @ts-ignore: decorator
@inline function join32(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}
/** Two 64-bit lane masks as one i32x4 mask. */
// @ts-ignore: decorator
@inline function join64Masks(lo: v128, hi: v128): v128 {
  return v128.shuffle<i32>(lo, hi, 0, 2, 4, 6);
}

/** Appends i + k for every set bit k of `bits` to events[e..]; returns the new e. */
// @ts-ignore: decorator
@inline function appendEvents(bits: i32, i: i32, events: usize, e: i32): i32 {
  while (bits != 0) {
    store<i32>(events + (<usize>e << 2), i + ctz(bits));
    e++;
    bits &= bits - 1;
  }
  return e;
}

/**
 * Appends i + k for every set bit k < 4 of `bits` to events[e..] without a branch (whether a
 * group of neurons fires is unpredictable): each lane's index is written at e, which moves on
 * only if the lane fired. Writes at most events[e + 3], never past the number of neurons
 * scanned. Returns the new e.
 */
// @ts-ignore: decorator
@inline function appendEvents4(bits: i32, i: i32, events: usize, e: i32): i32 {
  store<i32>(events + (<usize>e << 2), i);
  e += bits & 1;
  store<i32>(events + (<usize>e << 2), i + 1);
  e += (bits >> 1) & 1;
  store<i32>(events + (<usize>e << 2), i + 2);
  e += (bits >> 2) & 1;
  store<i32>(events + (<usize>e << 2), i + 3);
  return e + ((bits >> 3) & 1);
}

/**
 * One IF step of the four neurons from i: s = v + z in float64; where s >= vThreshold the
 * neuron spikes (count + 1, event i + lane appended at events + e) and v becomes s - drop or
 * vReset, else v = s. Returns the new number of events.
 */
// @ts-ignore: decorator
@inline function ifGroup4(v: usize, z: usize, counts: usize, i: i32, thr: v128, dr: v128, vr: v128, subtract: i32, events: usize, e: i32): i32 {
  const at = <usize>i << 2;
  const v4 = v128.load(v + at);
  const z4 = v128.load(z + at);
  const sLo = f64x2.add(lo64(v4), lo64(z4));
  const sHi = f64x2.add(hi64(v4), hi64(z4));
  const mLo = f64x2.ge(sLo, thr);
  const mHi = f64x2.ge(sHi, thr);
  const m = join64Masks(mLo, mHi);
  // No branch on whether the group fired: it is unpredictable, and a wrong guess costs more
  // than the reset, count and event stores it would skip.
  const rLo = subtract != 0 ? f64x2.sub(sLo, dr) : vr;
  const rHi = subtract != 0 ? f64x2.sub(sHi, dr) : vr;
  v128.store(v + at, join32(v128.bitselect(rLo, sLo, mLo), v128.bitselect(rHi, sHi, mHi)));
  v128.store(counts + at, i32x4.sub(v128.load(counts + at), m));
  return appendEvents4(i32x4.bitmask(m), i, events, e);
}

/**
 * IF neuron, no leak, no refractory period: v <- v + z; at v >= vThreshold a spike, and
 * v <- v - drop (subtract != 0) or vReset. n neurons; z, v float32, counts int32, events int32.
 * Returns the number of events written.
 */
export function scanIf(z: usize, v: usize, counts: usize, events: usize, n: i32, vThreshold: f64, drop: f64, subtract: i32, vReset: f64): i32 {
  const thr = f64x2.splat(vThreshold);
  const dr = f64x2.splat(drop);
  const vr = f64x2.splat(vReset);
  let e = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    e = ifGroup4(v, z, counts, i, thr, dr, vr, subtract, events, e);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const vi = <f64>load<f32>(v + at) + <f64>load<f32>(z + at);
    if (vi >= vThreshold) {
      store<f32>(v + at, <f32>(subtract != 0 ? vi - drop : vReset));
      store<i32>(counts + at, load<i32>(counts + at) + 1);
      store<i32>(events + (<usize>e << 2), i);
      e++;
    } else {
      store<f32>(v + at, <f32>vi);
    }
  }
  return e;
}

/** Neurons per tile of scanIfSteps: their membranes and currents stay in L1 over a chunk's steps. */
const TILE = 512;

/**
 * scanIf over `steps` timesteps of one sample under a constant current z (the same every
 * step), tile by tile: a tile's membranes and currents stay in cache over all the steps. The
 * same operations as `steps` calls of scanIf, so the same spikes and membranes, except that
 * a group of four neurons that can never fire (z <= 0 and v < vThreshold in every lane: v
 * never rises) is skipped and keeps its v, as the JavaScript scans skip such neurons. The
 * events of step k go to events + k stride 4 bytes, in increasing neuron order, their number
 * to eventCounts[k]; `active` (n / 4 int32) is scratch. Returns the number of events.
 */
export function scanIfSteps(
  z: usize,
  v: usize,
  counts: usize,
  events: usize,
  eventCounts: usize,
  stride: i32,
  n: i32,
  steps: i32,
  vThreshold: f64,
  drop: f64,
  subtract: i32,
  vReset: f64,
  active: usize,
): i32 {
  const thr = f64x2.splat(vThreshold);
  const dr = f64x2.splat(drop);
  const vr = f64x2.splat(vReset);
  memory.fill(eventCounts, 0, <usize>steps << 2);
  let total = 0;
  const full = n & ~3;
  for (let tile = 0; tile < full; tile += TILE) {
    const end = min(tile + TILE, full);
    // The groups of the tile that may fire (compared in double precision, as the scan does).
    let m = 0;
    for (let i = tile; i < end; i += 4) {
      const at = <usize>i << 2;
      const v4 = v128.load(v + at);
      const below = join64Masks(f64x2.lt(lo64(v4), thr), f64x2.lt(hi64(v4), thr));
      if (!i32x4.all_true(v128.and(f32x4.le(v128.load(z + at), f32x4.splat(0)), below))) {
        store<i32>(active + (<usize>m << 2), i);
        m++;
      }
    }
    for (let k = 0; k < steps; k++) {
      const list = events + ((<usize>k * stride) << 2);
      const countAt = eventCounts + (<usize>k << 2);
      const e0 = load<i32>(countAt);
      let e = e0;
      for (let j = 0; j < m; j++) {
        e = ifGroup4(v, z, counts, load<i32>(active + (<usize>j << 2)), thr, dr, vr, subtract, list, e);
      }
      store<i32>(countAt, e);
      total += e - e0;
    }
  }
  for (let i = full; i < n; i++) {
    const at = <usize>i << 2;
    const zi = <f64>load<f32>(z + at);
    let vf = load<f32>(v + at);
    if (zi <= 0 && <f64>vf < vThreshold) continue;
    for (let k = 0; k < steps; k++) {
      const vi = <f64>vf + zi;
      if (vi >= vThreshold) {
        vf = <f32>(subtract != 0 ? vi - drop : vReset);
        store<i32>(counts + at, load<i32>(counts + at) + 1);
        const countAt = eventCounts + (<usize>k << 2);
        const e = load<i32>(countAt);
        store<i32>(events + ((<usize>k * stride + e) << 2), i);
        store<i32>(countAt, e + 1);
        total++;
      } else {
        vf = <f32>vi;
      }
    }
    store<f32>(v + at, vf);
  }
  return total;
}

/**
 * Plain LIF / IF neuron with refractory period (snn/neuron.ts step() without options):
 * a refractory neuron counts its refractory steps down and keeps v; any other one integrates
 * v <- vRest + decay (v - vRest) + gain z and, at v >= vThreshold, spikes, resets and
 * becomes refractory for tRefSteps steps. Returns the number of events written.
 */
export function scanLif(
  z: usize,
  v: usize,
  refractory: usize,
  counts: usize,
  events: usize,
  n: i32,
  decay: f64,
  gain: f64,
  vRest: f64,
  vThreshold: f64,
  drop: f64,
  subtract: i32,
  vReset: f64,
  tRefSteps: i32,
): i32 {
  const dc = f64x2.splat(decay);
  const gn = f64x2.splat(gain);
  const rest = f64x2.splat(vRest);
  const thr = f64x2.splat(vThreshold);
  const dr = f64x2.splat(drop);
  const vr = f64x2.splat(vReset);
  const tRef = i32x4.splat(tRefSteps);
  const one = i32x4.splat(1);
  const zero = i32x4.splat(0);
  let e = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const v4 = v128.load(v + at);
    const z4 = v128.load(z + at);
    const ref = v128.load(refractory + at);
    const isRef = i32x4.gt_s(ref, zero);
    // Same operations, same order as step(): vRest + decay (v - vRest) + gain z.
    const sLo = f64x2.add(f64x2.add(rest, f64x2.mul(dc, f64x2.sub(lo64(v4), rest))), f64x2.mul(gn, lo64(z4)));
    const sHi = f64x2.add(f64x2.add(rest, f64x2.mul(dc, f64x2.sub(hi64(v4), rest))), f64x2.mul(gn, hi64(z4)));
    const fire = v128.andnot(join64Masks(f64x2.ge(sLo, thr), f64x2.ge(sHi, thr)), isRef);
    const fireLo = i64x2.extend_low_i32x4_s(fire);
    const fireHi = i64x2.extend_high_i32x4_s(fire);
    const rLo = subtract != 0 ? f64x2.sub(sLo, dr) : vr;
    const rHi = subtract != 0 ? f64x2.sub(sHi, dr) : vr;
    const next = join32(v128.bitselect(rLo, sLo, fireLo), v128.bitselect(rHi, sHi, fireHi));
    v128.store(v + at, v128.bitselect(v4, next, isRef));
    v128.store(refractory + at, v128.bitselect(i32x4.sub(ref, one), v128.bitselect(tRef, ref, fire), isRef));
    const bits = i32x4.bitmask(fire);
    if (bits != 0) {
      v128.store(counts + at, i32x4.sub(v128.load(counts + at), fire));
      e = appendEvents(bits, i, events, e);
    }
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const r = load<i32>(refractory + at);
    if (r > 0) {
      store<i32>(refractory + at, r - 1);
      continue;
    }
    const vi = vRest + decay * (<f64>load<f32>(v + at) - vRest) + gain * <f64>load<f32>(z + at);
    if (vi >= vThreshold) {
      store<f32>(v + at, <f32>(subtract != 0 ? vi - drop : vReset));
      store<i32>(refractory + at, tRefSteps);
      store<i32>(counts + at, load<i32>(counts + at) + 1);
      store<i32>(events + (<usize>e << 2), i);
      e++;
    } else {
      store<f32>(v + at, <f32>vi);
    }
  }
  return e;
}

export { convEvents, denseEvents } from './linear';

/**
 * Average pooling of one row of spikes, fused after a scan: `events` holds the `count` indices
 * of the neurons that fired (increasing), window[i] the output of the one pooling window that
 * holds neuron i (-1: none; windows do not overlap). The pooled row (outPer float32 at
 * `pooled`) is zeroed, every spike adds 1 to its window, then each touched window is divided
 * by `divisor` (sum first, then divide, as a dense average pool does). `touched` (outPer int32)
 * is scratch. Returns the number of non-zero outputs.
 */
export function poolSpikes(events: usize, count: i32, window: usize, pooled: usize, outPer: i32, divisor: f32, touched: usize): i32 {
  memory.fill(pooled, 0, <usize>outPer << 2);
  let t = 0;
  for (let k = 0; k < count; k++) {
    const o = load<i32>(window + (<usize>load<i32>(events + (<usize>k << 2)) << 2));
    if (o < 0) continue;
    const at = pooled + (<usize>o << 2);
    const before = load<f32>(at);
    // Branch-free: whether a window is new is unpredictable.
    store<i32>(touched + (<usize>t << 2), o);
    t += i32(before == 0);
    store<f32>(at, before + 1);
  }
  for (let k = 0; k < t; k++) {
    const at = pooled + (<usize>load<i32>(touched + (<usize>k << 2)) << 2);
    store<f32>(at, load<f32>(at) / divisor);
  }
  return t;
}
