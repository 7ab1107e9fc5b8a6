/**
 * ONNX model -> snnc IR. Reads the protobuf, seeds constants (initializers) and the data
 * input, then runs each node through the op table (ops/table.ts). Unsupported nodes are
 * collected and reported together in one error line.
 */
import { oneLine, UserError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { checkLoadedGraph, checkValueSize } from '../graph-checks.js';
import { checkAllocation } from '../../util/memory-limit.js';
import { ImportContext, NodeView } from './context.js';
import { REFUSED_ACTIVATIONS } from './ops/elementwise.js';
import { ONNX_OPS } from './ops/table.js';
import { decodeModel, decodeTensor, onnx, toNumber, type ModelProto } from './proto.js';

export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

export interface ImportResult {
  graph: Graph;
  /** One line per fold, removal or layout change the loader made. */
  log: string[];
  opset: number;
  producer: string;
}

function opsetOf(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) throw new UserError('the model imports no ai.onnx opset');
  const v = toNumber(entry.version, 'opset version');
  if (v < MIN_OPSET) throw new UserError(`opset ${v} is older than the oldest supported (${MIN_OPSET}); re-export with a newer opset`);
  return v;
}

function readInput(model: ModelProto, initializers: Set<string>): { name: string; shape: number[] } {
  const inputs = (model.graph!.input ?? []).filter((i) => i.name && !initializers.has(i.name));
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
    const v = d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue, `${what} dimension ${i + 1}`) : 0;
    if (!(v > 0)) {
      throw new UserError(`${what} dimension ${i + 1} is '${oneLine(d.dimParam || '?', 40)}'; snnc needs fixed sizes apart from the batch`);
    }
    return v;
  });
  checkValueSize(shape, what);
  return { name: input.name!, shape };
}

export function importOnnx(bytes: Uint8Array): ImportResult {
  const model = decodeModel(bytes);
  const g = model.graph!;
  const opset = opsetOf(model);
  const ctx = new ImportContext(opset);
  if (opset > MAX_OPSET) ctx.log.push(`opset ${opset} is newer than the newest tested (${MAX_OPSET}); ops are read with opset-${MAX_OPSET} semantics`);

  const initializerNames = new Set<string>();
  let constantBytes = 0;
  for (const init of g.initializer ?? []) {
    if (!init.name) throw new UserError('an initializer has no name');
    initializerNames.add(init.name);
    const what = `initializer '${oneLine(init.name, 80)}'`;
    const tensor = decodeTensor(init, what);
    constantBytes += tensor.data.byteLength;
    checkAllocation(constantBytes, `the model's weights up to ${what}`, true);
    ctx.values.set(init.name, { kind: 'const', tensor });
  }
  const input = readInput(model, initializerNames);
  ctx.values.set(input.name, { kind: 'dynamic', name: input.name });
  ctx.shapes.set(input.name, input.shape);

  const nodes = g.node ?? [];
  for (const node of nodes) for (const name of node.input ?? []) if (name) ctx.readers.set(name, (ctx.readers.get(name) ?? 0) + 1);
  for (const out of g.output ?? []) {
    if (!out.name) continue;
    ctx.graphOutputs.add(out.name);
    ctx.readers.set(out.name, (ctx.readers.get(out.name) ?? 0) + 1);
  }

  nodes.forEach((proto, index) => {
    const view = new NodeView(ctx, proto, index);
    const builder = proto.domain && proto.domain !== 'ai.onnx' ? undefined : ONNX_OPS[view.op];
    const readsUnknown = view.inputNames.some((name) => name && ctx.values.get(name)?.kind === 'unknown');
    if (!builder) view.unsupported(proto.domain && proto.domain !== 'ai.onnx' ? `op domain '${proto.domain}' is not supported` : `op ${view.op} is not supported`);
    // Nodes downstream of an unsupported one are skipped, unless they are unsupported themselves.
    else if (!readsUnknown || view.op in REFUSED_ACTIVATIONS) builder(view);
    for (const out of view.outputNames) if (out && !ctx.values.has(out)) ctx.values.set(out, { kind: 'unknown' });
  });

  if (ctx.unsupported.length > 0) {
    const list = ctx.unsupported.map((u) => `'${u.node}' (${u.op}): ${u.reason}`).join('; ');
    throw new UserError(`${ctx.unsupported.length} unsupported node${ctx.unsupported.length > 1 ? 's' : ''}: ${list}`);
  }
  const outName = g.output?.[0]?.name;
  if (!outName) throw new UserError('the graph has no output');
  const outWhat = `graph output '${oneLine(outName, 80)}'`;
  if ((g.output?.length ?? 0) > 1) ctx.log.push(`graph has ${g.output!.length} outputs; using the first, '${oneLine(outName, 80)}'`);
  const out = ctx.values.get(outName);
  if (!out) throw new UserError(`${outWhat} is not produced by any node`);
  if (out.kind !== 'dynamic') throw new UserError(`${outWhat} is a constant, not computed from the input`);
  if (out.name === input.name) throw new UserError(`${outWhat} is the input itself`);

  const graph: Graph = { name: g.name || 'onnx', input, output: out.name, nodes: ctx.nodes };
  checkLoadedGraph(graph);
  return {
    graph,
    log: ctx.log,
    opset,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown',
  };
}
