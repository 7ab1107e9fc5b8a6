/**
 * Checks the wiring of a functional model's topology (model.json) before @tensorflow/tfjs
 * deserialises it. tfjs-layers' Container.fromConfig re-queues every node whose inbound
 * layer or node does not exist yet and loops until all are processed: a reference to a
 * missing layer, to a node that is never created, or a cycle makes it loop forever (a hang no
 * signal handler can interrupt). This replays that loop on the JSON, with progress checked,
 * and refuses such a model naming the layer.
 */
import { oneLine, UserError } from '../../errors.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** tfjs reads keys in snake_case (as Keras writes them) or camelCase alike. */
const field = (o: Json, snake: string, camel: string): unknown => o[snake] ?? o[camel];
const FUNCTIONAL = new Set(['Model', 'Functional']);

/** An inbound reference [layer, nodeIndex, tensorIndex, kwargs?]. */
interface Ref {
  layer: string;
  node: number;
}

function refsOf(nodeData: unknown, layer: string): Ref[] {
  const bad = (): never => {
    throw new UserError(`layer '${oneLine(layer, 80)}': inbound_nodes entries must be [layer name, node index, tensor index, kwargs]`);
  };
  if (!Array.isArray(nodeData)) bad();
  return (nodeData as unknown[]).map((ref) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string' || !Number.isInteger(ref[1]) || ref[1] < 0 || !Number.isInteger(ref[2]) || ref[2] < 0) bad();
    return { layer: (ref as unknown[])[0] as string, node: (ref as unknown[])[1] as number };
  });
}

/** Replays tfjs's node processing on a functional model's config; throws when it would never finish. */
function checkFunctional(config: Json): void {
  const layers = config.layers;
  if (!Array.isArray(layers)) throw new UserError('model config: layers must be a list');
  const created = new Map<string, number>();
  const pending: { layer: string; refs: Ref[] }[] = [];
  for (const l of layers) {
    if (!isObject(l) || typeof l.name !== 'string' || typeof field(l, 'class_name', 'className') !== 'string') {
      throw new UserError('model config: every layer needs a name and a class_name');
    }
    if (created.has(l.name)) throw new UserError(`model config: two layers are named '${oneLine(l.name, 80)}'`);
    // An InputLayer makes its node when it is constructed; every other layer when it is applied.
    created.set(l.name, field(l, 'class_name', 'className') === 'InputLayer' ? 1 : 0);
    const inbound = field(l, 'inbound_nodes', 'inboundNodes') ?? [];
    if (!Array.isArray(inbound)) throw new UserError(`layer '${oneLine(l.name, 80)}': inbound_nodes must be a list`);
    for (const nodeData of inbound) pending.push({ layer: l.name, refs: refsOf(nodeData, l.name) });
    checkNested(l);
  }
  for (const [snake, camel] of [['input_layers', 'inputLayers'], ['output_layers', 'outputLayers']] as const) {
    const refs = field(config, snake, camel);
    if (refs === undefined) continue;
    if (!Array.isArray(refs)) throw new UserError(`model config: ${snake} must be a list`);
    for (const ref of refs) {
      const name = Array.isArray(ref) ? ref[0] : undefined;
      if (typeof name !== 'string') throw new UserError(`model config: ${snake} entries must be [layer name, node index, tensor index]`);
      if (!created.has(name)) throw new UserError(`model config: ${snake} names layer '${oneLine(name, 80)}', which the model does not have`);
    }
  }
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = 0; i < pending.length; ) {
      const p = pending[i]!;
      if (p.refs.every((r) => (created.get(r.layer) ?? 0) > r.node)) {
        // A node without inputs is skipped by tfjs, and creates nothing.
        if (p.refs.length > 0) created.set(p.layer, created.get(p.layer)! + 1);
        pending.splice(i, 1);
      } else i++;
    }
    if (pending.length === before) {
      const p = pending[0]!;
      const r = p.refs.find((ref) => (created.get(ref.layer) ?? 0) <= ref.node)!;
      const why = created.has(r.layer) ? `node ${r.node} of layer '${oneLine(r.layer, 80)}', which the model never creates (or only through a cycle)` : `layer '${oneLine(r.layer, 80)}', which the model does not have`;
      throw new UserError(`layer '${oneLine(p.layer, 80)}' takes its input from ${why}`);
    }
  }
}

/** Checks models nested as layers (a functional or Sequential model inside a model). */
function checkNested(layer: Json): void {
  const className = field(layer, 'class_name', 'className');
  if (typeof className !== 'string') return;
  const config = layer.config;
  if (FUNCTIONAL.has(className) && isObject(config)) checkFunctional(config);
  if (className === 'Sequential') {
    const inner = isObject(config) ? config.layers : config;
    if (Array.isArray(inner)) for (const l of inner) if (isObject(l)) checkNested(l);
  }
}

/** Checks model.json's modelTopology (or its model_config, as tfjs reads it). */
export function checkTopology(topology: unknown): void {
  if (!isObject(topology)) return;
  const wrapped = field(topology, 'model_config', 'modelConfig');
  const model = isObject(wrapped) ? wrapped : topology;
  checkNested(model);
}
