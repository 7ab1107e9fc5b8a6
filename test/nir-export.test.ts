/**
 * NIR files as an independent HDF5 reader (jsfive) sees them: every snnc node has its NIR
 * node with the expected type, parameter shapes and values, and the edges connect what the
 * snnc graph connects. Parameters derived from time are checked against the formulas:
 * IF r = 1/dt, LIF tau = tau_steps dt, r = 1 / (1 - e^(-1/tau_steps)), v_threshold the
 * float32 just below theta.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { writeNirFile } from '../src/io/nir/hdf5.js';
import { planNir, type NirExportOptions } from '../src/io/nir/plan.js';
import type { SnnModel } from '../src/model/snn-model.js';
import type { Graph, Node, NeuronLayerParams } from '../src/ir/graph.js';
import { inferShapes } from '../src/ir/shapes.js';
import { tensor } from '../src/ir/tensor.js';
import { tempDir } from './helpers/idx.js';
import { readNirFile, type H5Value, type NirFile, type NirFileNode } from './helpers/nir-file.js';
import { convertFixture, IF_DEFAULT, IF_EXACT, modelOf } from './helpers/snn-models.js';

const dir = tempDir('snnc-nir-export-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function exported(model: SnnModel, options: NirExportOptions = { dtS: 1e-3, readout: 'integrator' }): Promise<NirFile> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.nir`);
  await writeNirFile(planNir(model, options), file);
  return readNirFile(file);
}

const values = (v: H5Value | undefined): number[] => v!.value as number[];
const text = (v: H5Value | undefined): string => String(v!.value[0]);

/** NIR nodes made from snnc node `name` (snnc_name in their metadata), by NIR name. */
function fromSnnc(g: NirFile, name: string): [string, NirFileNode][] {
  return [...g.nodes].filter(([, n]) => n.metadata.get('snnc_name')?.value[0] === name).sort(([a], [b]) => a.localeCompare(b));
}

const NIR_TYPE: Partial<Record<Node['op'], string>> = {
  conv: 'Conv2d',
  dense: 'Affine',
  spike: 'IF',
  maxpool: 'SumPool2d',
  avgpool: 'AvgPool2d',
  globalavgpool: 'AvgPool2d',
  flatten: 'Flatten',
  affine: 'Scale',
};

/** Checks every node of the snnc graph against the file. */
function checkNodes(model: SnnModel, g: NirFile, dtS: number): void {
  const shapes = inferShapes(model.snn);
  for (const node of model.snn.nodes) {
    const found = fromSnnc(g, node.name);
    if (node.op === 'add') {
      expect(found).toEqual([]);
      continue;
    }
    if (node.op === 'concat') {
      expect(found.length).toBe(node.inputs.length);
      continue; // checked with the edges
    }
    expect(found.length, node.name).toBe(1);
    const [, n] = found[0]!;
    expect(n.type, node.name).toBe(NIR_TYPE[node.op]);
    const inShape = shapes.get(node.inputs[0]!)!;
    const outShape = shapes.get(node.output)!;
    const p = (k: string) => n.params.get(k)!;
    switch (node.op) {
      case 'conv': {
        const [cOut, cInPer, kH, kW] = node.weight.dims as number[];
        expect(p('weight').shape).toEqual([cOut, inShape[0], kH, kW]);
        const w = values(p('weight'));
        const k = kH! * kW!;
        // Grouped convs become block-diagonal: output o reads input channels of its group only.
        for (let o = 0; o < cOut!; o++)
          for (let i = 0; i < inShape[0]!; i++) {
            const g0 = Math.floor(o / (cOut! / node.group)) * cInPer!;
            for (let j = 0; j < k; j++) {
              const inGroup = i >= g0 && i < g0 + cInPer!;
              expect(w[(o * inShape[0]! + i) * k + j]).toBe(inGroup ? node.weight.data[(o * cInPer! + i - g0) * k + j] : 0);
            }
          }
        expect(values(p('bias'))).toEqual([...node.bias.data]);
        expect(values(p('stride'))).toEqual(node.strides);
        expect(values(p('padding'))).toEqual([node.pads[0], node.pads[1]]);
        expect(values(p('dilation'))).toEqual(node.dilations);
        expect(values(p('groups'))).toEqual([1]);
        expect(values(p('input_shape'))).toEqual(inShape.slice(1));
        break;
      }
      case 'dense':
        expect(p('weight').shape).toEqual(node.weight.dims);
        expect(values(p('weight'))).toEqual([...node.weight.data]);
        expect(values(p('bias'))).toEqual([...node.bias.data]);
        break;
      case 'spike': {
        for (const key of ['r', 'v_threshold', 'v_reset']) expect(p(key).shape, key).toEqual(outShape);
        expect(new Set(values(p('r')))).toEqual(new Set([Math.fround(1 / dtS)]));
        expect(new Set(values(p('v_threshold')))).toEqual(new Set([1 - 2 ** -24]));
        expect(new Set(values(p('v_reset')))).toEqual(new Set([0]));
        expect(values(n.metadata.get('snnc_lambda'))).toEqual(node.lambda.map(Math.fround));
        expect(n.metadata.has('loss_reset')).toBe(node.neuron.reset === 'subtract');
        expect(n.metadata.has('loss_v_init')).toBe(node.neuron.vInitFraction !== 0);
        expect(text(n.metadata.get('snnc_reset'))).toBe(node.neuron.reset);
        break;
      }
      case 'maxpool':
      case 'avgpool':
        expect(values(p('kernel_size'))).toEqual(node.kernel);
        expect(values(p('stride'))).toEqual(node.strides);
        expect(values(p('padding'))).toEqual([node.pads[0], node.pads[1]]);
        expect(n.metadata.has('loss_maxpool')).toBe(node.op === 'maxpool');
        break;
      case 'globalavgpool':
        expect(values(p('kernel_size'))).toEqual(inShape.slice(1));
        expect(values(p('stride'))).toEqual(inShape.slice(1));
        break;
      case 'flatten':
        expect(values(p('start_dim'))).toEqual([-inShape.length]);
        expect(values(p('end_dim'))).toEqual([-1]);
        expect(values(p('input_type'))).toEqual(inShape);
        break;
      case 'affine': {
        expect(p('scale').shape).toEqual(inShape);
        const per = inShape.slice(1).reduce((a, b) => a * b, 1);
        expect(values(p('scale'))).toEqual([...node.scale.data].flatMap((s) => Array<number>(per).fill(s)));
        break;
      }
    }
  }
}

/**
 * The edges the file must have: a node's NIR input is every NIR node whose output sums to the
 * snnc value it reads (add: both inputs' sources; concat: its per-input parts).
 */
function expectedEdges(model: SnnModel, g: NirFile): string[] {
  const graph = model.snn;
  const producer = new Map(graph.nodes.map((n) => [n.output, n]));
  const nirName = (snnc: string) => fromSnnc(g, snnc)[0]![0];
  const sourcesOf = (value: string): string[] => {
    if (value === graph.input.name) return ['input'];
    const n = producer.get(value)!;
    if (n.op === 'add') return n.inputs.flatMap(sourcesOf);
    if (n.op === 'concat') return fromSnnc(g, n.name).map(([name]) => name);
    return [nirName(n.name)];
  };
  const edges: string[] = [];
  for (const n of graph.nodes) {
    if (n.op === 'add') continue;
    n.inputs.forEach((v, i) => {
      const target = n.op === 'concat' ? fromSnnc(g, n.name)[i]![0] : nirName(n.name);
      for (const s of sourcesOf(v)) edges.push(`${s} -> ${target}`);
    });
  }
  for (const s of sourcesOf(graph.output)) edges.push(`${s} -> readout`);
  edges.push('readout -> output');
  return edges.sort();
}

describe.each([
  ['residual.onnx', [2, 6, 6]],
  ['convnet.onnx', [1, 18, 18]],
])('%s exported to NIR, read back with jsfive', (name, shape) => {
  it('has every node, parameter and edge of the converted network', async () => {
    const model = await convertFixture(path.join('fixtures/onnx', name), shape, IF_DEFAULT);
    const g = await exported(model);
    expect(g.version).toBe('1.0.0');
    expect(g.graphType).toBe('NIRGraph');
    expect(values(g.nodes.get('input')!.params.get('shape'))).toEqual(shape);
    const outShape = inferShapes(model.snn).get(model.snn.output)!;
    expect(values(g.nodes.get('output')!.params.get('shape'))).toEqual(outShape);
    expect(g.nodes.get('readout')!.type).toBe('I');
    expect(g.nodes.get('readout')!.params.get('r')!.shape).toEqual(outShape);
    expect(new Set(values(g.nodes.get('readout')!.params.get('r')))).toEqual(new Set([1000]));
    checkNodes(model, g, 1e-3);
    expect(g.edges.map(([a, b]) => `${a} -> ${b}`).sort()).toEqual(expectedEdges(model, g));
    // Every NIR node is accounted for: Input, Output, readout, or made from a snnc node.
    const tagged = [...g.nodes.values()].filter((n) => n.metadata.has('snnc_name')).length;
    expect(tagged + 3).toBe(g.nodes.size);
    expect(values(g.metadata.get('dt_s'))).toEqual([1e-3]);
    expect(values(g.metadata.get('loss_count'))).toEqual([[...g.nodes.values()].flatMap((n) => [...n.metadata.keys()].filter((k) => k.startsWith('loss_'))).length]);
  });
});

describe('concat parts', () => {
  it('place each input in its channel range of the concatenation', async () => {
    const model = await convertFixture('fixtures/onnx/residual.onnx', [2, 6, 6], IF_EXACT);
    const g = await exported(model);
    const concat = model.snn.nodes.find((n) => n.op === 'concat')!;
    const shapes = inferShapes(model.snn);
    const total = shapes.get(concat.output)![0]!;
    let offset = 0;
    fromSnnc(g, concat.name).forEach(([, part], i) => {
      const c = shapes.get(concat.inputs[i]!)![0]!;
      expect(part.params.get('weight')!.shape).toEqual([total, c, 1, 1]);
      const w = values(part.params.get('weight'));
      for (let o = 0; o < total; o++) for (let j = 0; j < c; j++) expect(w[o * c + j]).toBe(o === offset + j ? 1 : 0);
      expect(values(part.params.get('bias'))).toEqual(Array<number>(total).fill(0));
      offset += c;
    });
  });
});

// ---- hand-built graphs for what the fixtures do not contain -------------------------

function single(node: Node, inShape: number[], neuron: NeuronLayerParams = IF_EXACT): SnnModel {
  const graph: Graph = { name: 'hand', input: { name: 'x', shape: inShape }, output: node.output, nodes: [node] };
  return modelOf(graph, graph, neuron);
}

const poolNode = (op: 'avgpool' | 'maxpool', pads: [number, number, number, number], extra: Partial<Node> = {}): Node =>
  ({ name: 'pool', op, inputs: ['x'], output: 'y', kernel: [2, 2], strides: [1, 1], pads, ceilMode: false, countIncludePad: false, ...extra }) as Node;

describe('NIR export of single ops', () => {
  it('average pooling that leaves padding out of the divisor: SumPool2d, then Scale by 1 / cells inside', async () => {
    // 3x3 input, 2x2 windows, stride 1, padding 1: a 4x4 output whose corner windows hold one
    // input cell, edge windows two, inner windows four.
    const g = await exported(single(poolNode('avgpool', [1, 1, 1, 1]), [1, 3, 3]));
    const [[sumName, sum], [scaleName, scale]] = fromSnnc(g, 'pool') as [[string, NirFileNode], [string, NirFileNode]];
    expect([sum.type, scale.type]).toEqual(['SumPool2d', 'Scale']);
    expect(g.edges).toContainEqual([sumName, scaleName]);
    expect(scale.params.get('scale')!.shape).toEqual([1, 4, 4]);
    // prettier-ignore
    expect(values(scale.params.get('scale'))).toEqual([1, 1 / 2, 1 / 2, 1, 1 / 2, 1 / 4, 1 / 4, 1 / 2, 1 / 2, 1 / 4, 1 / 4, 1 / 2, 1, 1 / 2, 1 / 2, 1].map(Math.fround));
  });

  it('pool "sum": AvgPool2d becomes SumPool2d and the dense layer reading it (through Flatten) takes the 1/4; other readers are refused', async () => {
    const w = Array.from({ length: 2 * 4 }, (_, i) => i - 3);
    const nodes: Node[] = [
      { name: 'pool', op: 'avgpool', inputs: ['x'], output: 'p', kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceilMode: false, countIncludePad: true } as Node,
      { name: 'flat', op: 'flatten', inputs: ['p'], output: 'f' },
      { name: 'fc', op: 'dense', inputs: ['f'], output: 'y', weight: tensor([2, 4], w), bias: tensor([2], [0.5, -1]) },
    ];
    const graph: Graph = { name: 'hand', input: { name: 'x', shape: [1, 4, 4] }, output: 'y', nodes };
    const model = modelOf(graph, graph, IF_EXACT);
    const g = await exported(model, { dtS: 1, readout: 'current', pool: 'sum' });
    expect(fromSnnc(g, 'pool').map(([, n]) => n.type)).toEqual(['SumPool2d']);
    const [, fc] = fromSnnc(g, 'fc')[0]!;
    expect(values(fc.params.get('weight'))).toEqual(w.map((v) => v / 4));
    expect(values(fc.params.get('bias'))).toEqual([0.5, -1]);
    // The default keeps AvgPool2d and the weights.
    const avg = await exported(model, { dtS: 1, readout: 'current' });
    expect(fromSnnc(avg, 'pool').map(([, n]) => n.type)).toEqual(['AvgPool2d']);
    expect(values(fromSnnc(avg, 'fc')[0]![1].params.get('weight'))).toEqual(w);
    // A pool read by the Output has no layer to take the divisor.
    expect(() => planNir(single(poolNode('avgpool', [0, 0, 0, 0], { countIncludePad: true } as Partial<Node>), [1, 4, 4]), { dtS: 1, readout: 'current', pool: 'sum' })).toThrow(/--nir-pool sum: average pooling 'pool' is not read by one Conv2d/);
  });

  it('average pooling counting the padding: AvgPool2d', async () => {
    const g = await exported(single(poolNode('avgpool', [1, 1, 1, 1], { countIncludePad: true } as Partial<Node>), [1, 3, 3]));
    expect(fromSnnc(g, 'pool').map(([, n]) => n.type)).toEqual(['AvgPool2d']);
  });

  it('refuses padding NIR cannot express, naming the node', () => {
    expect(() => planNir(single(poolNode('maxpool', [0, 0, 1, 1]), [1, 4, 4]), { dtS: 1e-3, readout: 'integrator' })).toThrow(
      new UserError('node pool (maxpool): padding [0,0,1,1] (top,left,bottom,right) cannot be exported: NIR pads both sides of an axis equally'),
    );
  });

  it('refuses ceil mode where it changes the output shape', () => {
    const node = poolNode('maxpool', [0, 0, 0, 0], { ceilMode: true, strides: [2, 2] } as Partial<Node>);
    expect(() => planNir(single(node, [1, 5, 5]), { dtS: 1e-3, readout: 'integrator' })).toThrow(/ceil mode gives \[1,3,3\], NIR's pooling rounds down to \[1,2,2\]/);
  });

  it('an affine map with a shift: a diagonal 1x1 Conv2d on [C,H,W], a diagonal Affine on [N]', async () => {
    const affine = (shape: number[]): Node => ({ name: 'bn', op: 'affine', inputs: ['x'], output: 'y', scale: tensor([shape[0]!], shape[0] === 2 ? [2, 3] : [2, 3, 4]), shift: tensor([shape[0]!], shape[0] === 2 ? [0.5, -1] : [1, 0, -1]) });
    const conv = fromSnnc(await exported(single(affine([2, 3, 3]), [2, 3, 3])), 'bn')[0]![1];
    expect(conv.type).toBe('Conv2d');
    expect(values(conv.params.get('weight'))).toEqual([2, 0, 0, 3]);
    expect(values(conv.params.get('bias'))).toEqual([0.5, -1]);
    expect(values(conv.params.get('input_shape'))).toEqual([3, 3]);
    const dense = fromSnnc(await exported(single(affine([3]), [3])), 'bn')[0]![1];
    expect(dense.type).toBe('Affine');
    expect(values(dense.params.get('weight'))).toEqual([2, 0, 0, 0, 3, 0, 0, 0, 4]);
    expect(values(dense.params.get('bias'))).toEqual([1, 0, -1]);
  });

  it('LIF: tau = tau_steps dt, r = 1 / (1 - e^(-1/tau_steps)), v_leak = 0', async () => {
    const neuron: NeuronLayerParams = { ...IF_EXACT, model: 'lif', tauSteps: 5 };
    const node: Node = { name: 'lif', op: 'spike', inputs: ['x'], output: 'y', lambda: [1], neuron };
    const n = fromSnnc(await exported(single(node, [2, 2]), { dtS: 0.002, readout: 'integrator' }), 'lif')[0]![1];
    expect(n.type).toBe('LIF');
    expect(values(n.params.get('tau'))).toEqual(Array<number>(4).fill(Math.fround(0.01)));
    expect(values(n.params.get('r'))).toEqual(Array<number>(4).fill(Math.fround(1 / (1 - Math.exp(-1 / 5)))));
    expect(values(n.params.get('v_leak'))).toEqual([0, 0, 0, 0]);
    expect(n.params.get('v_threshold')!.shape).toEqual([2, 2]);
  });

  it('records the refractory period as a loss with its length in steps and seconds', async () => {
    const node: Node = { name: 'if', op: 'spike', inputs: ['x'], output: 'y', lambda: [1], neuron: { ...IF_EXACT, tRefSteps: 2 } };
    const n = fromSnnc(await exported(single(node, [3])), 'if')[0]![1];
    expect(text(n.metadata.get('loss_refractory'))).toMatch(/2 step\(s\) \(0\.002 s\)/);
    expect(values(n.metadata.get('snnc_t_ref_steps'))).toEqual([2]);
    expect([...n.metadata.keys()].filter((k) => k.startsWith('loss_'))).toEqual(['loss_refractory']);
  });

  it('records signed spikes as a loss: a NIR neuron emits no -1 spike', async () => {
    const node: Node = { name: 'if', op: 'spike', inputs: ['x'], output: 'y', lambda: [1], neuron: { ...IF_EXACT, signed: true } };
    const n = fromSnnc(await exported(single(node, [3])), 'if')[0]![1];
    expect(text(n.metadata.get('loss_signed'))).toMatch(/signed spikes are dropped: a NIR neuron emits no -1 spike/);
    expect([...n.metadata.keys()].filter((k) => k.startsWith('loss_'))).toEqual(['loss_signed']);
  });

  it('records refractory pre-distortion with the refractory loss, and keeps it in the metadata', async () => {
    const node: Node = { name: 'if', op: 'spike', inputs: ['x'], output: 'y', lambda: [1], neuron: { ...IF_EXACT, tRefSteps: 2, predistort: true } };
    const n = fromSnnc(await exported(single(node, [3])), 'if')[0]![1];
    expect(text(n.metadata.get('loss_refractory'))).toMatch(/2 step\(s\).*; so is the pre-distortion of the input current/);
    expect(text(n.metadata.get('snnc_predistort'))).toMatch(/theta r \/ \(1 - k r\)/);
    expect([...n.metadata.keys()].filter((k) => k.startsWith('loss_'))).toEqual(['loss_refractory']);
  });

  it('records per-channel v(0) shifts (potential calibration) as a loss, and keeps them in the metadata', async () => {
    const node: Node = { name: 'if', op: 'spike', inputs: ['x'], output: 'y', lambda: [1], neuron: IF_EXACT, vInitShift: [0, 0.25] };
    const n = fromSnnc(await exported(single(node, [2, 2, 2])), 'if')[0]![1];
    expect(text(n.metadata.get('loss_v_init'))).toMatch(/v\(0\) = 0 \(0 x threshold\) plus per-channel shifts of 0\.\.0\.25 x threshold/);
    expect(values(n.metadata.get('snnc_v_init_shift'))).toEqual([0, 0.25]);
  });

  it('readout "current": the Output follows the last layer directly, and the graph metadata says how to decode it', async () => {
    const node: Node = { name: 'fc', op: 'dense', inputs: ['x'], output: 'y', weight: tensor([2, 3]), bias: tensor([2]) };
    const g = await exported(single(node, [3]), { dtS: 1e-3, readout: 'current' });
    expect(g.nodes.has('readout')).toBe(false);
    expect(g.edges).toEqual([['input', 'fc'], ['fc', 'output']]);
    expect(g.nodes.get('output')!.metadata.size).toBe(0);
    expect(text(g.metadata.get('readout'))).toMatch(/argmax of its sum over steps 1\.\.t/);
  });

  it('threshold "ge" writes theta itself; "gt" (default) the largest float32 below it', async () => {
    const node: Node = { name: 'if', op: 'spike', inputs: ['x'], output: 'y', lambda: [1], neuron: IF_EXACT };
    const ge = fromSnnc(await exported(single(node, [2]), { dtS: 1, readout: 'current', threshold: 'ge' }), 'if')[0]![1];
    expect(values(ge.params.get('v_threshold'))).toEqual([1, 1]);
    const gt = fromSnnc(await exported(single(node, [2]), { dtS: 1, readout: 'current' }), 'if')[0]![1];
    expect(values(gt.params.get('v_threshold'))).toEqual([1 - 2 ** -24, 1 - 2 ** -24]);
    expect(values(gt.params.get('r'))).toEqual([1, 1]);
  });

  it('flatten "nir" (default) writes start_dim -rank, "zero" 0, "torch" 1 (batch axis first)', async () => {
    const node: Node = { name: 'flat', op: 'flatten', inputs: ['x'], output: 'y' };
    const torch = await exported(single(node, [2, 3, 3]), { dtS: 1, readout: 'current', flatten: 'torch' });
    expect(values(torch.nodes.get('flat')!.params.get('start_dim'))).toEqual([1]);
    const zero = await exported(single(node, [2, 3, 3]), { dtS: 1, readout: 'current', flatten: 'zero' });
    expect(values(zero.nodes.get('flat')!.params.get('start_dim'))).toEqual([0]);
    const nir = await exported(single(node, [2, 3, 3]), { dtS: 1, readout: 'current' });
    expect(values(nir.nodes.get('flat')!.params.get('start_dim'))).toEqual([-3]);
  });

  it('compat "1.0.4": no metadata group anywhere and no v_reset, for old nir readers', async () => {
    const node: Node = { name: 'if', op: 'spike', inputs: ['x'], output: 'y', lambda: [1], neuron: IF_EXACT };
    const g = await exported(single(node, [2]), { dtS: 1, readout: 'current', compat: '1.0.4' });
    expect(g.metadata.size).toBe(0);
    for (const n of g.nodes.values()) expect(n.metadata.size).toBe(0);
    expect([...g.nodes.get('if')!.params.keys()].sort()).toEqual(['r', 'v_threshold']);
  });
});
