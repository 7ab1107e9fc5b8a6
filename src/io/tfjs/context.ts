/**
 * State shared by the TF.js layer builders while one model is imported, and what a builder
 * sees of one layer (its config, weights by name, input values).
 */
import type * as Tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.js';
import type { Node, NodeSpec } from '../../ir/graph.js';
import { outputShape } from '../../ir/shapes.js';

/**
 * A Keras tensor as an IR value. `rank` is the Keras rank with batch (4 for [N, H, W, C],
 * held by the IR as [C, H, W]; 2 for [N, F]). `perm` maps IR flat index -> Keras flat index
 * for a vector flattened from [H, W, C] (null: the same order).
 */
export interface TfValue {
  name: string;
  rank: number;
  perm: Int32Array | null;
}

export interface UnsupportedLayer {
  layer: string;
  className: string;
  reason: string;
}

export class TfContext {
  /** By SymbolicTensor id; null for values written by an unsupported layer. */
  readonly values = new Map<number, TfValue | null>();
  readonly shapes = new Map<string, number[]>();
  readonly nodes: Node[] = [];
  readonly unsupported: UnsupportedLayer[] = [];
  readonly log: string[] = [];
  readonly outputIds: Set<number>;

  constructor(outputIds: number[]) {
    this.outputIds = new Set(outputIds);
  }

  emit(node: Node): string {
    this.shapes.set(node.output, outputShape(node, node.inputs.map((i) => this.shapes.get(i)!)));
    this.nodes.push(node);
    return node.output;
  }
}

/** The parts of a tfjs-layers Layer the builders read (tfjs keeps inbound nodes untyped). */
export interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  weights: { originalName: string; shape: (number | null)[] }[];
  getWeights(): Tf.Tensor[];
  inboundNodes: { inputTensors: Tf.SymbolicTensor[]; outputTensors: Tf.SymbolicTensor[] }[];
}

export class LayerView {
  readonly className: string;
  readonly config: Record<string, unknown>;
  private count = 0;

  constructor(
    readonly ctx: TfContext,
    readonly layer: LayerLike,
    readonly inputs: TfValue[],
    readonly outputId: number,
  ) {
    this.className = layer.getClassName();
    this.config = layer.getConfig();
  }

  get name(): string {
    return this.layer.name;
  }

  fail(message: string): never {
    throw new UserError(`layer '${this.name}' (${this.className}): ${message}`);
  }

  unsupported(reason: string): void {
    this.ctx.unsupported.push({ layer: this.name, className: this.className, reason });
  }

  note(message: string): void {
    this.ctx.log.push(`${this.className} '${this.name}': ${message}`);
  }

  /** Whether this layer writes the model's output. */
  get isOutput(): boolean {
    return this.ctx.outputIds.has(this.outputId);
  }

  shapeOf(v: TfValue): number[] {
    return this.ctx.shapes.get(v.name)!;
  }

  num(key: string, fallback?: number): number {
    const v = this.config[key] ?? fallback;
    if (typeof v !== 'number') this.fail(`config ${key} must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  pair(key: string, fallback?: [number, number]): [number, number] {
    const v = this.config[key] ?? fallback;
    const arr = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(arr) || arr.length !== 2 || arr.some((x) => typeof x !== 'number')) {
      this.fail(`config ${key} must be 2 numbers, got ${JSON.stringify(v)}`);
    }
    return [arr[0] as number, arr[1] as number];
  }

  str(key: string, fallback?: string): string {
    const v = this.config[key] ?? fallback;
    if (typeof v !== 'string') this.fail(`config ${key} must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** The layer's weight whose name ends in `/${suffix}`, with its shape. */
  weight(suffix: string): { data: Float32Array; dims: number[] } | undefined {
    const i = this.layer.weights.findIndex((w) => w.originalName.split('/').pop() === suffix);
    if (i < 0) return undefined;
    const t = this.layer.getWeights()[i]!;
    const data = Float32Array.from(t.dataSync() as Float32Array);
    return { data, dims: t.shape };
  }

  requireWeight(suffix: string): { data: Float32Array; dims: number[] } {
    return this.weight(suffix) ?? this.fail(`weight '${suffix}' is missing`);
  }

  /** Emits an IR node; the first node of a layer is named after it, later ones `<layer>/<op>`. */
  emit(spec: NodeSpec, rank: number, perm: Int32Array | null = null): TfValue {
    const name = this.count === 0 ? this.name : `${this.name}/${spec.op}${this.count > 1 ? this.count : ''}`;
    this.count++;
    const output = this.ctx.emit({ ...spec, name, output: name } as Node);
    return { name: output, rank, perm };
  }
}
