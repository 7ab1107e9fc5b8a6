/**
 * A converted network (SnnModel) as a NIR graph: pure, no I/O (hdf5.ts writes the result).
 *
 * Every snnc value is the sum of the outputs of a list of NIR nodes (its `sources`): one node
 * for most ops; add appends its inputs' lists (a NIR node sums its incoming edges), and
 * concat places each input in its channel range with a linear op first (concatPart), so
 * neither needs a NIR node of its own. The graph is Input -> ... -> readout -> Output, where
 * the readout integrates the output current (neuron.ts), or with readout 'current' the
 * Output carries the current itself (every importer takes that: Norse rejects NIR's `I`,
 * snnTorch and Sinabs drop it); snnc's prediction at step t is then the argmax of the
 * Output summed over steps 1..t, which the graph metadata states.
 *
 * Compatibility with old nir readers ('1.0.4'): nir <= 1.0.4 passes every dataset of a node
 * to the node's constructor and fails on `metadata`; nir 1.0.5 also on `v_reset`. That
 * variant has neither (v_reset is 0 in every network snnc converts, the readers' default).
 *
 * NIR node names are the snnc node names reduced to [A-Za-z0-9_] (HDF5 group names, and
 * module names in torch importers), made unique; `snnc_name` in each node's metadata keeps
 * the original.
 */
import { UserError } from '../../errors.js';
import type { Node } from '../../ir/graph.js';
import { inferShapes } from '../../ir/shapes.js';
import type { SnnModel } from '../../model/snn-model.js';
import {
  f64Array,
  f64Scalar,
  i64,
  i64Scalar,
  NIR_VERSION,
  str,
  type Loss,
  type NirDocument,
  type NirNode,
} from './document.js';
import { concatPart, layerToNir, type FlattenConvention, type Pieces } from './layers.js';

const FLATTEN_TEXT: Record<FlattenConvention, string> = {
  nir: "-rank: NIR's axis 0 counted from the end (no batch axis), axis 1 of a batched tensor",
  zero: "0: NIR's axes, no batch axis",
  torch: '1: torch axes, batch axis 0',
};
import { readoutIntegrator, spikeToNir, type ThresholdTest } from './neuron.js';
import { poolsAsSums } from './sum-pool.js';

export type ReadoutKind = 'integrator' | 'current';
export type NirCompat = 'current' | '1.0.4';

export interface NirExportOptions {
  /** Seconds per snnc timestep. */
  dtS: number;
  readout: ReadoutKind;
  /** Default 'gt' (NIR's v > v_threshold). */
  threshold?: ThresholdTest;
  /** Default 'nir' (start_dim -rank). */
  flatten?: FlattenConvention;
  /** Default 'current' (nir >= 1.0.6). */
  compat?: NirCompat;
  /** IF layers as LIF nodes with a leak below float32 resolution (neuron.ts). */
  ifAsLif?: boolean;
  /** Default 'avg' (AvgPool2d); 'sum': SumPool2d with the divisor in the next layer's weights (sum-pool.ts). */
  pool?: PoolConvention;
}

export type PoolConvention = 'avg' | 'sum';

export const TIME_CONVENTION =
  'snnc step t covers [t dt_s, (t+1) dt_s) seconds; every signal is held constant over a step: ' +
  'the input (the preprocessed image, the same at every step), layer currents, and spikes ' +
  '(a spike is a pulse of height 1 lasting one step)';

class Names {
  private readonly taken = new Set<string>();
  /** A unique NIR name for `wanted`, reduced to [A-Za-z0-9_]. */
  take(wanted: string): string {
    const base = wanted.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'node';
    let name = base;
    for (let i = 2; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }
}

export function planNir(model: SnnModel, options: NirExportOptions): NirDocument {
  const graph = model.snn;
  const shapes = inferShapes(graph);
  const names = new Names();
  const [inputName, outputName, readoutName] = ['input', 'output', 'readout'].map((n) => names.take(n)) as [string, string, string];
  const doc: NirDocument = { version: NIR_VERSION, nodes: new Map(), edges: [], metadata: {}, losses: [] };
  const add = (name: string, node: NirNode, from: readonly string[]) => {
    doc.nodes.set(name, node);
    for (const s of from) doc.edges.push([s, name]);
  };
  const tag = (node: NirNode, source: Node) => {
    node.metadata = { snnc_name: str(source.name), snnc_op: str(source.op), ...node.metadata };
    return node;
  };

  add(inputName, { type: 'Input', params: { shape: i64(graph.input.shape) }, metadata: {} }, []);
  const sources = new Map<string, string[]>([[graph.input.name, [inputName]]]);

  for (const node of graph.nodes) {
    const ins = node.inputs.map((v) => sources.get(v)!);
    const inShape = shapes.get(node.inputs[0]!)!;
    const outShape = shapes.get(node.output)!;
    if (node.op === 'add') {
      sources.set(node.output, [...ins[0]!, ...ins[1]!]);
      continue;
    }
    if (node.op === 'relu') throw new UserError(`node ${node.name}: a ReLU in the spiking graph (not a converted network?)`);
    const base = names.take(node.name);
    if (node.op === 'concat') {
      let offset = 0;
      const parts = node.inputs.map((v, i) => {
        const name = names.take(`${base}_part${i}`);
        add(name, tag(concatPart(shapes.get(v)!, offset, outShape[0]!), node), ins[i]!);
        offset += shapes.get(v)![0]!;
        return name;
      });
      sources.set(node.output, parts);
      continue;
    }
    let translated: Pieces;
    if (node.op === 'spike') {
      const neuron = spikeToNir(node, outShape, { dtS: options.dtS, threshold: options.threshold ?? 'gt', omitVReset: options.compat === '1.0.4', ifAsLif: options.ifAsLif === true });
      translated = { pieces: [{ suffix: '', node: neuron.node }], losses: neuron.losses };
    } else {
      translated = layerToNir(node, inShape, outShape, options.flatten ?? 'nir');
    }
    let from = ins[0]!;
    for (const piece of translated.pieces) {
      const name = piece.suffix === '' ? base : names.take(base + piece.suffix);
      add(name, tag(piece.node, node), from);
      from = [name];
    }
    const main = doc.nodes.get(base)!;
    for (const loss of translated.losses) {
      main.metadata[`loss_${loss.kind}`] = str(loss.message);
      doc.losses.push({ node: base, source: node.name, type: main.type, ...loss });
    }
    sources.set(node.output, from);
  }

  const outShape = shapes.get(graph.output)!;
  const last = sources.get(graph.output)!;
  if (options.readout === 'integrator') {
    add(readoutName, readoutIntegrator(outShape, options.dtS), last);
    add(outputName, { type: 'Output', params: { shape: i64(outShape) }, metadata: {} }, [readoutName]);
  } else {
    add(outputName, { type: 'Output', params: { shape: i64(outShape) }, metadata: {} }, last);
  }
  doc.metadata = graphMetadata(model, options, doc.losses);
  if (options.pool === 'sum') {
    const sums = poolsAsSums(doc);
    if (sums.refused.length > 0) {
      throw new UserError(`--nir-pool sum: average pooling ${sums.refused.map((n) => `'${n}'`).join(', ')} is not read by one Conv2d / Affine / Linear alone (through at most a Flatten), which could take its divisor; export with --nir-pool avg`);
    }
    doc.nodes = sums.doc.nodes;
  }
  if (options.compat === '1.0.4') {
    doc.metadata = {};
    for (const node of doc.nodes.values()) node.metadata = {};
  }
  return doc;
}

function graphMetadata(model: SnnModel, options: NirExportOptions, losses: readonly Loss[]): NirDocument['metadata'] {
  return {
    generator: str('snnc'),
    source_model: str(model.source.model),
    source_sha256: str(model.source.sha256),
    dt_s: f64Scalar(options.dtS),
    ...(model.conversion.target ? { snnc_target: str(model.conversion.target) } : {}),
    threshold_test: str((options.threshold ?? 'gt') === 'gt' ? 'v > v_threshold (NIR)' : 'v >= v_threshold'),
    flatten_start_dim: str(FLATTEN_TEXT[options.flatten ?? 'nir']),
    ...(options.pool === 'sum' ? { pooling: str('average pooling as SumPool2d, its divisor folded into the weights of the layer reading it') } : {}),
    time_convention: str(TIME_CONVENTION),
    input_encoding: str('constant current: x = (pixel * input_scale - input_mean[c]) / input_std[c], applied at every step'),
    input_scale: f64Scalar(model.preprocess.scale),
    input_mean: f64Array(model.preprocess.mean),
    input_std: f64Array(model.preprocess.std),
    readout: str(
      options.readout === 'integrator'
        ? "node 'readout' (I) sums the output current over steps; its argmax at step t is snnc's prediction at t"
        : "the Output carries the output current per step; snnc's prediction at step t is the argmax of its sum over steps 1..t (sum or average it over the steps)",
    ),
    loss_count: i64Scalar(losses.length),
  };
}
