/**
 * TF.js layers model -> snnc IR. The model is deserialised by @tensorflow/tfjs itself
 * (load.ts); this walks its layers in topological order, following each layer's inbound node
 * from symbolic tensor to symbolic tensor, so Sequential and functional models read alike.
 * Unsupported layers are collected and reported together in one error line.
 */
import type * as Tf from '@tensorflow/tfjs';
import { InternalError, UserError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { LayerView, TfContext, type LayerLike, type TfValue } from './context.js';
import { TFJS_LAYERS } from './layers.js';
import { readLayersModel } from './load.js';

export interface TfjsImportResult {
  graph: Graph;
  /** One line per fold, removal or layout change the loader made. */
  log: string[];
  producer: string;
  sha256: string;
}

/** IR shape (NCHW, no batch) of a Keras input shape [null, H, W, C] or [null, F]. */
function inputShape(t: Tf.SymbolicTensor): number[] {
  const [, ...dims] = t.shape;
  if (dims.some((d) => d === null || !(d! > 0))) {
    throw new UserError(`input '${t.name}' has shape [${t.shape.map((d) => d ?? 'null').join(',')}]; snnc needs fixed sizes apart from the batch`);
  }
  if (dims.length === 3) return [dims[2]!, dims[0]!, dims[1]!];
  if (dims.length === 1) return [dims[0]!];
  throw new UserError(`input '${t.name}' must be an image [N,H,W,C] or a vector [N,F], got rank ${dims.length + 1}`);
}

function convert(model: Tf.LayersModel): { graph: Graph; log: string[] } {
  if (model.inputs.length !== 1) throw new UserError(`expected one input, the model has ${model.inputs.length}`);
  const input = model.inputs[0]!;
  const shape = inputShape(input);
  // The input layer's name is the one model.json gives (tensor names get a suffix per model loaded).
  const inputName = input.sourceLayer.name;
  const ctx = new TfContext(model.outputs.map((o) => o.id));
  ctx.values.set(input.id, { name: inputName, rank: input.shape.length, perm: null });
  ctx.shapes.set(inputName, shape);
  if (shape.length === 3) ctx.log.push(`input '${inputName}' [N,${input.shape.slice(1).join(',')}] (NHWC) read as [N,${shape.join(',')}] (NCHW)`);

  for (const layer of model.layers as unknown as LayerLike[]) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const skip = (reason?: string) => {
      if (reason) ctx.unsupported.push({ layer: layer.name, className, reason });
      for (const node of layer.inboundNodes) for (const t of node.outputTensors) ctx.values.set(t.id, null);
    };
    if (layer.inboundNodes.length !== 1) {
      skip(`a layer applied ${layer.inboundNodes.length} times (shared weights) is not supported`);
      continue;
    }
    const node = layer.inboundNodes[0]!;
    const inputs = node.inputTensors.map((t) => ctx.values.get(t.id));
    if (inputs.some((v) => v === undefined)) throw new InternalError(`layer ${layer.name} reads a tensor no earlier layer wrote`);
    // Layers after an unsupported one are skipped: their problem is already reported.
    if (inputs.some((v) => v === null)) {
      skip();
      continue;
    }
    if (node.outputTensors.length !== 1) {
      skip(`${node.outputTensors.length} outputs are not supported`);
      continue;
    }
    const builder = TFJS_LAYERS[className];
    if (!builder) {
      const nested = className === 'Sequential' || className === 'Model' || className === 'Functional';
      skip(nested ? 'nested models are not supported; build the model from its layers' : `layer class ${className} is not supported`);
      continue;
    }
    const out = builder(new LayerView(ctx, layer, inputs as TfValue[], node.outputTensors[0]!.id));
    ctx.values.set(node.outputTensors[0]!.id, out ?? null);
  }

  if (ctx.unsupported.length > 0) {
    const list = ctx.unsupported.map((u) => `'${u.layer}' (${u.className}): ${u.reason}`).join('; ');
    throw new UserError(`${ctx.unsupported.length} unsupported layer${ctx.unsupported.length > 1 ? 's' : ''}: ${list}`);
  }
  if (model.outputs.length > 1) ctx.log.push(`model has ${model.outputs.length} outputs; using the first, '${model.outputs[0]!.name}'`);
  const out = ctx.values.get(model.outputs[0]!.id);
  if (!out || out.name === inputName) throw new UserError('the model output is not computed from its input');
  const outShape = ctx.shapes.get(out.name)!;
  if (out.perm || (out.rank === 4 && outShape[1]! * outShape[2]! > 1)) {
    throw new UserError(`the output [N,${outShape.join(',')}] is an image or a flattened image: snnc orders it (C,H,W), Keras (H,W,C); end the model with a vector`);
  }
  return { graph: { name: model.name, input: { name: inputName, shape }, output: out.name, nodes: ctx.nodes }, log: ctx.log };
}

export async function importTfjs(file: string, maxMemoryBytes?: number): Promise<TfjsImportResult> {
  const { model, producer, sha256, warnings } = await readLayersModel(file, maxMemoryBytes);
  try {
    const { graph, log } = convert(model);
    return { graph, log: [...warnings.map((w) => `TF.js warned: ${w}`), ...log], producer, sha256 };
  } finally {
    model.dispose();
  }
}
