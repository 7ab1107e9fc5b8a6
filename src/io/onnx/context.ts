/**
 * State shared by the ONNX op builders while one graph is imported: which ONNX value is a
 * known constant, which is a dynamic IR value (and its shape without batch), the IR nodes
 * emitted so far, the unsupported nodes found so far and the import log.
 */
import { InternalError, oneLine, UserError } from '../../errors.js';
import type { Node, NodeSpec, Pads } from '../../ir/graph.js';
import { outputShape } from '../../ir/shapes.js';
import { checkValueSize } from '../graph-checks.js';
import type { AttributeProto, ConstTensor, NodeProto } from './proto.js';
import { decodeTensor, onnx, toNumber } from './proto.js';

/**
 * A dynamic dimension standing for the batch inside constant shape tensors (the result of
 * Shape(x)[0]); exporters build Reshape targets from it. Any arithmetic on it is refused.
 */
export const BATCH_DIM = -987654321;

/**
 * What an ONNX value is during import: a constant folded at load time, a dynamic IR value, a
 * dynamic value zero-padded by a Pad node that the next Conv or pool absorbs into its own pads
 * (`pads` [top, left, bottom, right], written by ONNX node `by`), or unknown (written by an
 * unsupported node: nodes reading it are skipped, not reported twice).
 */
export type Value =
  | { kind: 'const'; tensor: ConstTensor }
  | { kind: 'dynamic'; name: string }
  | { kind: 'padded'; name: string; pads: Pads; by: string }
  | { kind: 'unknown' };

/** Ops that absorb a preceding constant-zero Pad into their own padding. */
export const PAD_ABSORBERS: ReadonlySet<string> = new Set(['Conv', 'MaxPool', 'AveragePool']);

/**
 * Thrown by a builder (NodeView.refuse) for a valid node snnc cannot convert; the import loop
 * records it with the other unsupported nodes instead of stopping. Malformed nodes throw
 * UserError (NodeView.fail) at once.
 */
export class NodeRefused extends Error {}

export interface Unsupported {
  node: string;
  op: string;
  reason: string;
}

export class ImportContext {
  readonly values = new Map<string, Value>();
  readonly shapes = new Map<string, number[]>();
  readonly nodes: Node[] = [];
  readonly unsupported: Unsupported[] = [];
  readonly log: string[] = [];
  /** How many ONNX nodes read each ONNX value (and graph outputs count as readers). */
  readonly readers = new Map<string, number>();
  /** Names of the ONNX graph's outputs. */
  readonly graphOutputs = new Set<string>();
  private readonly usedNames = new Set<string>();

  /** `maxMemoryBytes`: the run's memory budget (--max-memory), checked for every value's size. */
  constructor(
    readonly opset: number,
    readonly maxMemoryBytes: number,
  ) {}

  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  /** Adds an IR node, computing its output shape (refused when one sample of it would not fit --max-memory). */
  emit(node: Node): string {
    const inputShapes = node.inputs.map((i) => this.shapes.get(i)!);
    const shape = outputShape(node, inputShapes);
    checkValueSize(shape, `node ${oneLine(node.name, 80)} (${node.op})`, this.maxMemoryBytes);
    this.shapes.set(node.output, shape);
    this.nodes.push(node);
    return node.output;
  }

  producerOf(value: string): Node | undefined {
    return this.nodes.find((n) => n.output === value);
  }
}

/** What a builder sees of one ONNX node. */
export class NodeView {
  readonly name: string;
  readonly op: string;
  /** "node <name> (<op>)" for messages: printable and of bounded length whatever the file holds. */
  readonly where: string;
  private readonly attrs = new Map<string, AttributeProto>();

  constructor(
    readonly ctx: ImportContext,
    readonly proto: NodeProto,
    index: number,
  ) {
    this.op = proto.opType ?? '';
    this.name = proto.name || `${this.op}_${index}`;
    this.where = `node ${oneLine(this.name, 80)} (${oneLine(this.op, 40)})`;
    for (const a of proto.attribute ?? []) if (a.name) this.attrs.set(a.name, a);
  }

  get inputNames(): string[] {
    return this.proto.input ?? [];
  }

  get outputNames(): string[] {
    return this.proto.output ?? [];
  }

  fail(message: string): never {
    throw new UserError(`${this.where}: ${message}`);
  }

  /** Stops this node's builder: a valid node snnc does not convert (collected, reported at the end). */
  refuse(reason: string): never {
    throw new NodeRefused(reason);
  }

  /** The i-th input, or undefined when absent or empty (ONNX's optional inputs). */
  input(i: number): Exclude<Value, { kind: 'unknown' }> | undefined {
    const name = this.inputNames[i];
    if (!name) return undefined;
    const v = this.ctx.values.get(name);
    if (!v) this.fail(`input '${oneLine(name, 80)}' is not produced by any node, initializer or graph input`);
    if (v.kind === 'unknown') throw new InternalError(`node ${this.name} reads unknown value ${name}`);
    return v;
  }

  dynamicInput(i: number): string {
    const v = this.input(i);
    if (v?.kind === 'padded') throw new InternalError(`node ${this.name} reads the output of Pad ${v.by}`);
    if (!v || v.kind !== 'dynamic') this.refuse(`input ${i} must be a data tensor, not a constant`);
    return v.name;
  }

  /** A data input together with the zero padding a preceding Pad node left for this node to absorb. */
  paddedInput(i: number): { name: string; pads: Pads; by?: string } {
    const v = this.input(i);
    if (v?.kind === 'padded') return { name: v.name, pads: v.pads, by: v.by };
    return { name: this.dynamicInput(i), pads: [0, 0, 0, 0] };
  }

  constInput(i: number, what: string): ConstTensor {
    const v = this.input(i);
    if (!v) this.fail(`missing ${what} (input ${i})`);
    if (v.kind !== 'const') this.refuse(`${what} (input ${i}) must be a constant (an initializer or Constant), it is computed at run time`);
    return v.tensor;
  }

  shapeOf(value: string): number[] {
    return this.ctx.shapes.get(value)!;
  }

  hasAttr(name: string): boolean {
    return this.attrs.has(name);
  }

  /**
   * An attribute of the expected type, or a one-line error naming it: a `group` written as a
   * list must not read as group 0. An attribute without a type (old exporters) is read by
   * which field it fills.
   */
  private typed(name: string, type: number, filled: (a: AttributeProto) => boolean, what: string): AttributeProto | undefined {
    const a = this.attrs.get(name);
    if (!a) return undefined;
    const t = a.type ?? 0;
    if (t === type || (t === 0 && filled(a))) return a;
    const names = onnx.AttributeProto.AttributeType as unknown as Record<number, string>;
    return this.fail(`attribute ${name}: expected ${what}, got ${t === 0 ? 'no value' : `type ${names[t] ?? t}`}`);
  }

  int(name: string, fallback: number): number {
    const a = this.typed(name, onnx.AttributeProto.AttributeType.INT, (x) => x.i !== undefined && x.i !== null, 'an integer');
    return a ? toNumber(a.i) : fallback;
  }

  ints(name: string, fallback: number[]): number[] {
    const a = this.typed(name, onnx.AttributeProto.AttributeType.INTS, (x) => (x.ints?.length ?? 0) > 0, 'a list of integers');
    return a ? (a.ints ?? []).map((v) => toNumber(v)) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.typed(name, onnx.AttributeProto.AttributeType.FLOAT, (x) => x.f !== undefined && x.f !== null, 'a float');
    return a ? (a.f ?? 0) : fallback;
  }

  string(name: string, fallback: string): string {
    const a = this.attrs.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }

  tensorAttr(name: string): ConstTensor | undefined {
    const a = this.attrs.get(name);
    if (!a) return undefined;
    if (a.t) return decodeTensor(a.t, `${this.where} attribute ${name}`, { maxMemoryBytes: this.ctx.maxMemoryBytes });
    if (a.type === onnx.AttributeProto.AttributeType.FLOAT) return { dims: [], kind: 'float', data: Float32Array.of(a.f ?? 0) };
    if (a.type === onnx.AttributeProto.AttributeType.FLOATS) {
      return { dims: [a.floats?.length ?? 0], kind: 'float', data: Float32Array.from(a.floats ?? []) };
    }
    if (a.type === onnx.AttributeProto.AttributeType.INT) return { dims: [], kind: 'int', data: Float64Array.of(toNumber(a.i)) };
    if (a.type === onnx.AttributeProto.AttributeType.INTS) {
      return { dims: [a.ints?.length ?? 0], kind: 'int', data: Float64Array.from((a.ints ?? []).map((v) => toNumber(v))) };
    }
    this.fail(`attribute ${name} has an unsupported type`);
  }

  /** Makes output i an alias of an existing value (Identity, Dropout, dropped Softmax). */
  alias(i: number, value: Value): void {
    this.ctx.values.set(this.outputNames[i]!, value);
  }

  setConst(i: number, tensor: ConstTensor): void {
    this.ctx.values.set(this.outputNames[i]!, { kind: 'const', tensor });
  }

  /** Emits an IR node writing output i. */
  emit(node: NodeSpec, i = 0): string {
    const output = this.outputNames[i]!;
    const name = this.ctx.uniqueName(node.name ?? this.name);
    this.ctx.emit({ ...node, name, output } as Node);
    this.ctx.values.set(output, { kind: 'dynamic', name: output });
    return output;
  }

  /** Outputs beyond the first that some node or the graph reads. */
  usedExtraOutputs(): string[] {
    return this.outputNames.slice(1).filter((o) => o && (this.ctx.readers.get(o) ?? 0) > 0);
  }

  unsupported(reason: string): void {
    this.ctx.unsupported.push({ node: oneLine(this.name, 80), op: oneLine(this.op, 40), reason });
  }

  note(message: string): void {
    this.ctx.log.push(`${this.op} '${this.name}': ${message}`);
  }
}
