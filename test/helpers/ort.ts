/** Reference runs on onnxruntime of original ONNX files, and seeded random inputs. */
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import prand from 'pure-rand';

export async function runOnnxFile(
  file: string | Uint8Array,
  input: Float32Array,
  dims: number[],
  options: ort.InferenceSession.SessionOptions = {},
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(typeof file === 'string' ? fs.readFileSync(file) : file, options);
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = prand.xoroshiro128plus(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * (prand.unsafeUniformIntDistribution(0, 1 << 30, rng) / (1 << 30));
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}
