/**
 * ONNX model -> snnc IR. Reads the protobuf, seeds constants (initializers) and the data
 * input, then runs each node through the op table (ops/table.ts). Unsupported nodes are
 * collected and reported together in one error line.
 */
import { oneLine, UserError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Preprocess } from '../../model/dataset.js';
import { checkAllocation, defaultMaxMemoryBytes } from '../../util/memory-limit.js';
import { checkValueSize } from '../graph-checks.js';
import { ImportContext, NodeRefused, NodeView, PAD_ABSORBERS } from './context.js';
import { REFUSED_ACTIVATIONS } from './ops/elementwise.js';
import { ONNX_OPS } from './ops/table.js';
import { decodeModel, decodeTensor, onnx, toNumber, type ConstTensor, type ModelProto } from './proto.js';

/**
 * Opset 6 differs from 7 in the ops snnc reads only by legacy broadcasting (Add, Sub, Mul, Div
 * with broadcast / axis attributes) and is_test (BatchNormalization, Dropout), both handled.
 */
export const MIN_OPSET = 6;
export const MAX_OPSET = 21;

export interface ImportResult {
  graph: Graph;
  /** One line per fold, removal or layout change the loader made. */
  log: string[];
  opset: number;
  producer: string;
  /** Input preprocessing the file declares in its metadata (metadataFor below), if any. */
  preprocess?: Partial<Preprocess>;
}

/**
 * Metadata keys a model may declare its input preprocessing with, x = (p * scale - mean) / std
 * per channel (comma-separated numbers): the CIFAR-10 ResNet export writes the ImageNet mean and
 * std there, so that `snnc eval` needs no --input-mean / --input-std. Flags override them.
 */
export const PREPROCESS_METADATA = { input_scale: 'scale', input_mean: 'mean', input_std: 'std' } as const;

function preprocessOf(model: ModelProto): Partial<Preprocess> | undefined {
  const out: Partial<Preprocess> = {};
  for (const entry of model.metadataProps ?? []) {
    const field = PREPROCESS_METADATA[entry.key as keyof typeof PREPROCESS_METADATA];
    if (!field) continue;
    const text = entry.value ?? '';
    const values = text.split(',').map((v) => Number(v.trim()));
    const what = `metadata ${entry.key} '${oneLine(text, 80)}'`;
    if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new UserError(`${what}: expected comma-separated numbers`);
    if (field === 'std' && values.some((v) => v === 0)) throw new UserError(`${what}: a standard deviation of 0`);
    if (field === 'scale') {
      if (values.length !== 1) throw new UserError(`${what}: expected one number`);
      out.scale = values[0]!;
    } else out[field] = values;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function opsetOf(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) throw new UserError('the model imports no ai.onnx opset');
  const v = toNumber(entry.version);
  if (v < MIN_OPSET) throw new UserError(`opset ${v} is older than the oldest supported (${MIN_OPSET}); re-export with a newer opset`);
  return v;
}

export interface ImportOptions {
  /**
   * Values of graph inputs to treat as constants (as if they were initializers); the ONNX
   * backend tests pass weights this way.
   */
  constants?: ReadonlyMap<string, ConstTensor>;
  /** The run's memory budget (--max-memory); default: half of this machine's memory. */
  maxMemoryBytes?: number;
}

/** Ops that pass a padded value on unchanged (so that a later Conv or pool still absorbs it). */
const PAD_PASSERS: ReadonlySet<string> = new Set(['Pad', 'Identity', 'Dropout']);

function readInput(model: ModelProto, constants: Set<string>, maxMemoryBytes: number): { name: string; shape: number[] } {
  const inputs = (model.graph!.input ?? []).filter((i) => i.name && !constants.has(i.name));
  if (inputs.length !== 1) {
    const names = inputs.slice(0, 5).map((i) => oneLine(i.name!, 80)).join(', ') + (inputs.length > 5 ? ', ...' : '');
    throw new UserError(`expected exactly one data input, found ${inputs.length}: ${names || 'none'}`);
  }
  const input = inputs[0]!;
  const what = `input '${oneLine(input.name!, 80)}'`;
  const tt = input.type?.tensorType;
  if (!tt) throw new UserError(`${what} is not a tensor`);
  if (tt.elemType !== onnx.TensorProto.DataType.FLOAT) {
    throw new UserError(`${what} has element type ${onnx.TensorProto.DataType[tt.elemType ?? 0] ?? tt.elemType}, expected FLOAT`);
  }
  const dims = tt.shape?.dim ?? [];
  if (dims.length < 2) throw new UserError(`${what} must be [N, ...] with a batch axis, got rank ${dims.length}`);
  const shape = dims.slice(1).map((d, i) => {
    const v = d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : 0;
    if (!(v > 0)) {
      throw new UserError(`${what} dimension ${i + 1} is '${oneLine(d.dimParam || '?', 40)}'; snnc needs fixed sizes apart from the batch`);
    }
    return v;
  });
  checkValueSize(shape, what, maxMemoryBytes);
  return { name: input.name!, shape };
}

/** Runs one node's builder, or records why it cannot run. */
function dispatch(view: NodeView, foreignDomain: string | undefined): void {
  try {
    build(view, foreignDomain);
  } catch (err) {
    if (!(err instanceof NodeRefused)) throw err;
    view.unsupported(err.message);
  }
}

function build(view: NodeView, foreignDomain: string | undefined): void {
  const builder = foreignDomain ? undefined : ONNX_OPS[view.op];
  if (!builder) {
    view.unsupported(foreignDomain ? `op domain '${foreignDomain}' is not supported` : `op ${view.op} is not supported`);
    return;
  }
  // Refused activations are reported even downstream of other unsupported nodes (all at once).
  if (view.op in REFUSED_ACTIVATIONS) {
    builder(view);
    return;
  }
  const inputs = view.inputNames.map((name) => (name ? view.ctx.values.get(name) : undefined));
  // Nodes downstream of an unsupported one are skipped: their problem is already reported.
  if (inputs.some((v) => v?.kind === 'unknown')) return;
  const padded = inputs.find((v) => v?.kind === 'padded');
  if (padded?.kind === 'padded' && !PAD_ABSORBERS.has(view.op) && !PAD_PASSERS.has(view.op)) {
    view.unsupported(`reads the output of Pad '${padded.by}'; a constant-zero Pad is only folded into a following Conv, MaxPool or AveragePool`);
    return;
  }
  builder(view);
}

/** Decodes the model and seeds the context with its initializers and the given constants. */
function begin(bytes: Uint8Array, constants: ReadonlyMap<string, ConstTensor> = new Map(), maxMemoryBytes = defaultMaxMemoryBytes()) {
  const model = decodeModel(bytes);
  const g = model.graph!;
  const opset = opsetOf(model);
  const ctx = new ImportContext(opset, maxMemoryBytes);
  if (opset > MAX_OPSET) ctx.log.push(`opset ${opset} is newer than the newest tested (${MAX_OPSET}); ops are read with opset-${MAX_OPSET} semantics`);
  const constNames = new Set<string>();
  let constantBytes = 0;
  for (const init of g.initializer ?? []) {
    if (!init.name) throw new UserError('an initializer has no name');
    constNames.add(init.name);
    const what = `initializer '${oneLine(init.name, 80)}'`;
    const tensor = decodeTensor(init, what, { maxMemoryBytes });
    constantBytes += tensor.data.byteLength;
    checkAllocation(constantBytes, `the model's weights up to ${what}`, maxMemoryBytes, true);
    ctx.values.set(init.name, { kind: 'const', tensor });
  }
  for (const [name, tensor] of constants) {
    constNames.add(name);
    ctx.values.set(name, { kind: 'const', tensor });
  }
  const listedAsInputs = (g.input ?? []).filter((i) => i.name && constNames.has(i.name) && !constants.has(i.name)).length;
  if (listedAsInputs > 0) ctx.log.push(`${listedAsInputs} initializers also listed as graph inputs (as older exporters write weights) read as constants`);
  return { model, g, ctx, constNames };
}

/** Runs every node through the op table; throws all unsupported nodes in one error. */
function runNodes(ctx: ImportContext, g: NonNullable<ModelProto['graph']>): void {
  const nodes = g.node ?? [];
  for (const node of nodes) for (const name of node.input ?? []) if (name) ctx.readers.set(name, (ctx.readers.get(name) ?? 0) + 1);
  for (const out of g.output ?? []) {
    if (!out.name) continue;
    ctx.graphOutputs.add(out.name);
    ctx.readers.set(out.name, (ctx.readers.get(out.name) ?? 0) + 1);
  }
  const folded = new Map<string, number>();
  nodes.forEach((proto, index) => {
    const view = new NodeView(ctx, proto, index);
    dispatch(view, proto.domain && proto.domain !== 'ai.onnx' ? proto.domain : undefined);
    for (const out of view.outputNames) if (out && !ctx.values.has(out)) ctx.values.set(out, { kind: 'unknown' });
    const outs = view.outputNames.filter(Boolean);
    if (outs.length > 0 && outs.every((o) => ctx.values.get(o)?.kind === 'const')) folded.set(view.op, (folded.get(view.op) ?? 0) + 1);
  });
  if (folded.size > 0) {
    const total = [...folded.values()].reduce((a, b) => a + b, 0);
    const ops = [...folded].map(([op, k]) => (k > 1 ? `${op} x${k}` : op)).join(', ');
    ctx.log.push(`folded ${total} node${total > 1 ? 's' : ''} computing constants (${ops}) at load time`);
  }
  if (ctx.unsupported.length > 0) {
    const list = ctx.unsupported.map((u) => `'${u.node}' (${u.op}): ${u.reason}`).join('; ');
    throw new UserError(`${ctx.unsupported.length} unsupported node${ctx.unsupported.length > 1 ? 's' : ''}: ${list}`);
  }
}

export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  const { model, g, ctx, constNames } = begin(bytes, options.constants, options.maxMemoryBytes);
  const opset = ctx.opset;
  const input = readInput(model, constNames, ctx.maxMemoryBytes);
  ctx.values.set(input.name, { kind: 'dynamic', name: input.name });
  ctx.shapes.set(input.name, input.shape);
  runNodes(ctx, g);

  const outName = g.output?.[0]?.name;
  if (!outName) throw new UserError('the graph has no output');
  const outWhat = `graph output '${oneLine(outName, 80)}'`;
  if ((g.output?.length ?? 0) > 1) ctx.log.push(`graph has ${g.output!.length} outputs; using the first, '${oneLine(outName, 80)}'`);
  const out = ctx.values.get(outName);
  if (!out) throw new UserError(`${outWhat} is not produced by any node`);
  if (out.kind === 'padded') throw new UserError(`${outWhat} is written by Pad '${oneLine(out.by, 80)}', which is only folded into a following Conv or pool`);
  if (out.kind !== 'dynamic') throw new UserError(`${outWhat} is a constant, not computed from the input`);
  if (out.name === input.name) {
    throw new UserError(`${outWhat} is the input itself: nothing is left to convert once Identity, Dropout and an output softmax are removed`);
  }

  return {
    graph: { name: g.name || 'onnx', input, output: out.name, nodes: ctx.nodes },
    log: ctx.log,
    opset,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown',
    ...(preprocessOf(model) ? { preprocess: preprocessOf(model)! } : {}),
  };
}

/**
 * Folds a graph whose inputs are all given as constants and returns its first output: the
 * constant folding (shape arithmetic, Slice, Transpose, ...) on its own, for the ONNX backend
 * tests of those ops.
 */
export function foldOnnx(bytes: Uint8Array, constants: ReadonlyMap<string, ConstTensor>): ConstTensor {
  const { g, ctx } = begin(bytes, constants);
  runNodes(ctx, g);
  const out = ctx.values.get(g.output?.[0]?.name ?? '');
  if (out?.kind !== 'const') throw new UserError('the graph output does not fold to a constant');
  return out.tensor;
}
