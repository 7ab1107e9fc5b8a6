/**
 * Event-driven linear kernels (WebAssembly SIMD, AssemblyScript): a convolution (group 1) and a
 * fully connected layer whose cost grows with the number of non-zero inputs, for the layers of
 * a spiking network that see spikes or pooled spikes (mostly zeros).
 *
 * Both are output-stationary: the outputs of one position are accumulated in registers, 32
 * channels (eight f32x4) at a time, over the non-zero inputs that reach them, then stored
 * once. The weights are laid out channel-last and padded to a multiple of four output channels
 * ([cIn][tap][cOutPad] for the convolution, [in][outPad] for the dense layer), so one input
 * adds a contiguous weight row. Each output is
 *   y = (sum over its non-zero inputs x, in increasing (tap, channel) order, of x w) + bias
 * in float32: a fixed order for every row, so a row's outputs never depend on the batch, the
 * chunk or the thread it runs in (they may differ from onnxruntime's dense sums by float
 * rounding).
 */

/**
 * Lists the non-zero entries of one [channels][plane] float32 row by position: entry k of
 * position p (k < counts[p]) is the pair (channel c x `channelBytes`, x) at
 * lists + (p channels + k) 8 bytes. Channels are visited in increasing order.
 */
// @ts-ignore: decorator
@inline function listByPosition(x: usize, channels: i32, plane: i32, channelBytes: i32, lists: usize, counts: usize, levels: f32, tableBytes: i32): void {
  memory.fill(counts, 0, <usize>plane << 2);
  for (let c = 0; c < channels; c++) {
    const row = x + ((<usize>c * plane) << 2);
    const weightAt = c * channelBytes;
    let p = 0;
    for (; p + 4 <= plane; p += 4) {
      let bits = i32x4.bitmask(f32x4.ne(v128.load(row + (<usize>p << 2)), f32x4.splat(0)));
      while (bits != 0) {
        const q = p + ctz(bits);
        append(row, q, channels, weightAt, lists, counts, levels, tableBytes);
        bits &= bits - 1;
      }
    }
    for (; p < plane; p++) {
      if (load<f32>(row + (<usize>p << 2)) != 0) append(row, p, channels, weightAt, lists, counts, levels, tableBytes);
    }
  }
}

// @ts-ignore: decorator
@inline function append(row: usize, q: i32, channels: i32, weightAt: i32, lists: usize, counts: usize, levels: f32, tableBytes: i32): void {
  const n = load<i32>(counts + (<usize>q << 2));
  const at = lists + ((<usize>(q * channels + n)) << 3);
  const x = load<f32>(row + (<usize>q << 2));
  // With levels: x = j / levels, and table j - 1 holds the weights times x.
  store<i32>(at, levels > 0 ? weightAt + (<i32>nearest(x * levels) - 1) * tableBytes : weightAt);
  store<f32>(at, x, 4);
  store<i32>(counts + (<usize>q << 2), n + 1);
}

/** Stores acc + bias for 4 output channels `ch`.. at y + ch outStride + o (channels >= cOut skipped). */
// @ts-ignore: decorator
@inline function storeLanes(acc: v128, bias: usize, ch: i32, cOut: i32, y: usize, outStride: i32, o: i32): void {
  const sum = f32x4.add(acc, v128.load(bias + (<usize>ch << 2)));
  const at = y + ((<usize>(ch * outStride + o)) << 2);
  const step = <usize>outStride << 2;
  if (ch + 4 <= cOut) {
    store<f32>(at, f32x4.extract_lane(sum, 0));
    store<f32>(at + step, f32x4.extract_lane(sum, 1));
    store<f32>(at + 2 * step, f32x4.extract_lane(sum, 2));
    store<f32>(at + 3 * step, f32x4.extract_lane(sum, 3));
    return;
  }
  if (ch < cOut) store<f32>(at, f32x4.extract_lane(sum, 0));
  if (ch + 1 < cOut) store<f32>(at + step, f32x4.extract_lane(sum, 1));
  if (ch + 2 < cOut) store<f32>(at + 2 * step, f32x4.extract_lane(sum, 2));
}

/**
 * Event-driven convolution of `rows` rows: x [rows][cIn][inPlane] float32 (dense, mostly
 * zeros), y [rows][cOut][outPlane]. With levels > 0 every input is j / levels (j = 1 ..
 * levels: pooled spikes) and `weights` holds `levels` tables, table j - 1 the weights times
 * j / levels rounded to float32 (what the multiply would give): the inner loop only adds. For output position o, pairs[pairStart[o] ..
 * pairStart[o + 1]) are the (input position, tap byte offset tap cOutPad 4) pairs of the taps
 * inside the input, in increasing tap order. weights [cIn][taps][cOutPad], bias [cOutPad].
 * lists (inPlane cIn 8 bytes) and counts (inPlane 4 bytes) are scratch.
 */
export function convEvents(
  x: usize,
  y: usize,
  rows: i32,
  cIn: i32,
  inPlane: i32,
  cOut: i32,
  cOutPad: i32,
  outPlane: i32,
  taps: i32,
  pairStart: usize,
  pairs: usize,
  weights: usize,
  bias: usize,
  lists: usize,
  counts: usize,
  levels: i32,
): void {
  const channelBytes = taps * cOutPad * 4;
  const tableBytes = cIn * channelBytes;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * cIn * inPlane) << 2);
    const yr = y + ((<usize>r * cOut * outPlane) << 2);
    listByPosition(xr, cIn, inPlane, channelBytes, lists, counts, <f32>levels, tableBytes);
    for (let o = 0; o < outPlane; o++) {
      const q0 = load<i32>(pairStart + (<usize>o << 2));
      const q1 = load<i32>(pairStart + (<usize>(o + 1) << 2));
      let ch = 0;
      for (; levels > 0 && ch + 32 <= cOutPad; ch += 32) {
        let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (let q = q0; q < q1; q++) {
          const p = load<i32>(pairs + (<usize>q << 3));
          const w0 = weights + <usize>load<i32>(pairs + (<usize>q << 3), 4) + (<usize>ch << 2);
          const n = load<i32>(counts + (<usize>p << 2));
          let e = lists + ((<usize>p * cIn) << 3);
          const end = e + (<usize>n << 3);
          for (; e < end; e += 8) {
            const w = w0 + <usize>load<i32>(e);
            a0 = f32x4.add(a0, v128.load(w));
            a1 = f32x4.add(a1, v128.load(w, 16));
            a2 = f32x4.add(a2, v128.load(w, 32));
            a3 = f32x4.add(a3, v128.load(w, 48));
            a4 = f32x4.add(a4, v128.load(w, 64));
            a5 = f32x4.add(a5, v128.load(w, 80));
            a6 = f32x4.add(a6, v128.load(w, 96));
            a7 = f32x4.add(a7, v128.load(w, 112));
          }
        }
        storeLanes(a0, bias, ch, cOut, yr, outPlane, o);
        storeLanes(a1, bias, ch + 4, cOut, yr, outPlane, o);
        storeLanes(a2, bias, ch + 8, cOut, yr, outPlane, o);
        storeLanes(a3, bias, ch + 12, cOut, yr, outPlane, o);
        storeLanes(a4, bias, ch + 16, cOut, yr, outPlane, o);
        storeLanes(a5, bias, ch + 20, cOut, yr, outPlane, o);
        storeLanes(a6, bias, ch + 24, cOut, yr, outPlane, o);
        storeLanes(a7, bias, ch + 28, cOut, yr, outPlane, o);
      }
      for (; ch + 32 <= cOutPad; ch += 32) {
        let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (let q = q0; q < q1; q++) {
          const p = load<i32>(pairs + (<usize>q << 3));
          const w0 = weights + <usize>load<i32>(pairs + (<usize>q << 3), 4) + (<usize>ch << 2);
          const n = load<i32>(counts + (<usize>p << 2));
          let e = lists + ((<usize>p * cIn) << 3);
          const end = e + (<usize>n << 3);
          for (; e < end; e += 8) {
            const w = w0 + <usize>load<i32>(e);
            const v = f32x4.splat(load<f32>(e, 4));
            a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w)));
            a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
            a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32)));
            a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
            a4 = f32x4.add(a4, f32x4.mul(v, v128.load(w, 64)));
            a5 = f32x4.add(a5, f32x4.mul(v, v128.load(w, 80)));
            a6 = f32x4.add(a6, f32x4.mul(v, v128.load(w, 96)));
            a7 = f32x4.add(a7, f32x4.mul(v, v128.load(w, 112)));
          }
        }
        storeLanes(a0, bias, ch, cOut, yr, outPlane, o);
        storeLanes(a1, bias, ch + 4, cOut, yr, outPlane, o);
        storeLanes(a2, bias, ch + 8, cOut, yr, outPlane, o);
        storeLanes(a3, bias, ch + 12, cOut, yr, outPlane, o);
        storeLanes(a4, bias, ch + 16, cOut, yr, outPlane, o);
        storeLanes(a5, bias, ch + 20, cOut, yr, outPlane, o);
        storeLanes(a6, bias, ch + 24, cOut, yr, outPlane, o);
        storeLanes(a7, bias, ch + 28, cOut, yr, outPlane, o);
      }
      for (; ch < cOutPad; ch += 4) {
        let a = f32x4.splat(0);
        for (let q = q0; q < q1; q++) {
          const p = load<i32>(pairs + (<usize>q << 3));
          const w0 = weights + <usize>load<i32>(pairs + (<usize>q << 3), 4) + (<usize>ch << 2);
          const n = load<i32>(counts + (<usize>p << 2));
          let e = lists + ((<usize>p * cIn) << 3);
          const end = e + (<usize>n << 3);
          if (levels > 0) for (; e < end; e += 8) a = f32x4.add(a, v128.load(w0 + <usize>load<i32>(e)));
          else for (; e < end; e += 8) a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(e, 4)), v128.load(w0 + <usize>load<i32>(e))));
        }
        storeLanes(a, bias, ch, cOut, yr, outPlane, o);
      }
    }
  }
}

/**
 * Event-driven fully connected layer over `rows` rows: x [rows][inPer] float32, y
 * [rows][outPer]; weights [inPer][outPad] (W transposed), bias [outPad]. index and value
 * (inPer entries each) are scratch.
 */
export function denseEvents(x: usize, y: usize, rows: i32, inPer: i32, outPer: i32, outPad: i32, weights: usize, bias: usize, index: usize, value: usize): void {
  const rowBytes = outPad * 4;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * inPer) << 2);
    const yr = y + ((<usize>r * outPer) << 2);
    let n = 0;
    let i = 0;
    for (; i + 4 <= inPer; i += 4) {
      let bits = i32x4.bitmask(f32x4.ne(v128.load(xr + (<usize>i << 2)), f32x4.splat(0)));
      while (bits != 0) {
        const k = i + ctz(bits);
        store<i32>(index + (<usize>n << 2), k * rowBytes);
        store<f32>(value + (<usize>n << 2), load<f32>(xr + (<usize>k << 2)));
        n++;
        bits &= bits - 1;
      }
    }
    for (; i < inPer; i++) {
      const v = load<f32>(xr + (<usize>i << 2));
      if (v != 0) {
        store<i32>(index + (<usize>n << 2), i * rowBytes);
        store<f32>(value + (<usize>n << 2), v);
        n++;
      }
    }
    let ch = 0;
    for (; ch + 32 <= outPad; ch += 32) {
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      const w0 = weights + (<usize>ch << 2);
      for (let k = 0; k < n; k++) {
        const w = w0 + <usize>load<i32>(index + (<usize>k << 2));
        const v = f32x4.splat(load<f32>(value + (<usize>k << 2)));
        a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w)));
        a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
        a4 = f32x4.add(a4, f32x4.mul(v, v128.load(w, 64)));
        a5 = f32x4.add(a5, f32x4.mul(v, v128.load(w, 80)));
        a6 = f32x4.add(a6, f32x4.mul(v, v128.load(w, 96)));
        a7 = f32x4.add(a7, f32x4.mul(v, v128.load(w, 112)));
      }
      storeRow(a0, bias, ch, outPer, yr);
      storeRow(a1, bias, ch + 4, outPer, yr);
      storeRow(a2, bias, ch + 8, outPer, yr);
      storeRow(a3, bias, ch + 12, outPer, yr);
      storeRow(a4, bias, ch + 16, outPer, yr);
      storeRow(a5, bias, ch + 20, outPer, yr);
      storeRow(a6, bias, ch + 24, outPer, yr);
      storeRow(a7, bias, ch + 28, outPer, yr);
    }
    for (; ch < outPad; ch += 4) {
      let a = f32x4.splat(0);
      const w0 = weights + (<usize>ch << 2);
      for (let k = 0; k < n; k++) {
        a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(value + (<usize>k << 2))), v128.load(w0 + <usize>load<i32>(index + (<usize>k << 2)))));
      }
      storeRow(a, bias, ch, outPer, yr);
    }
  }
}

/** Stores acc + bias for outputs ch..ch+3 of a row (those >= outPer skipped). */
// @ts-ignore: decorator
@inline function storeRow(acc: v128, bias: usize, ch: i32, outPer: i32, y: usize): void {
  const sum = f32x4.add(acc, v128.load(bias + (<usize>ch << 2)));
  const at = y + (<usize>ch << 2);
  if (ch + 4 <= outPer) {
    v128.store(at, sum);
    return;
  }
  if (ch < outPer) store<f32>(at, f32x4.extract_lane(sum, 0));
  if (ch + 1 < outPer) store<f32>(at + 4, f32x4.extract_lane(sum, 1));
  if (ch + 2 < outPer) store<f32>(at + 8, f32x4.extract_lane(sum, 2));
}
