/**
 * onnxruntime-node behind a small interface: create a session from ONNX bytes, run a batch.
 * All heavy dense compute of snnc (the ANN reference and the SNN's linear ops) goes through here.
 *
 * The native module is loaded on the first session, not when this file is imported: commands
 * that never run a network (inspect, export, check of a file, --help) do not pay its start-up.
 */
import type * as ort from 'onnxruntime-node';
import os from 'node:os';

type OrtModule = typeof import('onnxruntime-node');
let loaded: OrtModule | null = null;

/** onnxruntime-node, loaded on first use. */
export async function loadOrt(): Promise<OrtModule> {
  return (loaded ??= await import('onnxruntime-node'));
}

/** onnxruntime-node once a session exists (OrtModel.create loaded it). */
export function ortModule(): OrtModule {
  if (loaded === null) throw new Error('internal: onnxruntime used before any session was created');
  return loaded;
}

export interface OrtOptions {
  /** Intra-op threads; defaults to the cores available. */
  threads?: number;
}

export function defaultThreads(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

export class OrtModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputName: string,
    readonly outputNames: readonly string[],
  ) {}

  static async create(bytes: Uint8Array, options: OrtOptions = {}): Promise<OrtModel> {
    const session = await (await loadOrt()).InferenceSession.create(bytes, {
      intraOpNumThreads: options.threads ?? defaultThreads(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    return new OrtModel(session, session.inputNames[0]!, session.outputNames);
  }

  /**
   * Runs `batch` samples of shape `sampleShape` stored contiguously in `input`. Returns each
   * output's data (views onnxruntime allocated; copy if you keep them past the next run).
   */
  async run(input: Float32Array, batch: number, sampleShape: readonly number[]): Promise<Map<string, Float32Array>> {
    const feed = { [this.inputName]: new (ortModule().Tensor)('float32', input, [batch, ...sampleShape]) };
    const result = await this.session.run(feed);
    const out = new Map<string, Float32Array>();
    for (const name of this.outputNames) out.set(name, result[name]!.data as Float32Array);
    return out;
  }

  /** Runs a single-input, single-output model, writing the output into `output`'s buffer. */
  async runInto(input: ort.Tensor, output: ort.Tensor): Promise<void> {
    await this.session.run({ [this.inputName]: input }, { [this.outputNames[0]!]: output });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
