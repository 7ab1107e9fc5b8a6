/** snnc inspect <model>: layers, shapes, parameters, MACs, and what loading changed. */
import { Command } from 'commander';
import { loadModel } from '../convert/load-model.js';
import type { Graph } from '../ir/graph.js';
import { graphStats } from '../ir/stats.js';
import { renderTable } from '../report/table.js';
import { addJsonOption, checkJsonTarget, emitResult } from './json-output.js';
import type { RawOptions } from './options.js';

function describe(op: string, node: Graph['nodes'][number]): string {
  switch (node.op) {
    case 'conv':
      return `conv ${node.weight.dims.slice(2).join('x')}/${node.strides.join('x')}${node.group > 1 ? ` g${node.group}` : ''}`;
    case 'maxpool':
    case 'avgpool':
      return `${node.op} ${node.kernel.join('x')}/${node.strides.join('x')}`;
    case 'relu':
      return node.ceiling === undefined ? 'relu' : `relu<=${node.ceiling}`;
    case 'spike':
      return `${node.neuron.model} t_ref=${node.neuron.tRefSteps}`;
    default:
      return op;
  }
}

export function inspectCommand(): Command {
  const cmd = new Command('inspect')
    .description('print layers, shapes, parameter counts and MACs, and what loading changed')
    .argument('<model>', 'ONNX model (.onnx), TF.js model.json (or its folder), or converted network (.snn.json)');
  return addJsonOption(cmd, 'the layer table').action(async (file: string, o: RawOptions) => {
    checkJsonTarget(o);
    const loaded = await loadModel(file);
    const graph = loaded.kind === 'ann' ? loaded.graph : loaded.model.snn;
    const log = loaded.kind === 'ann' ? loaded.log : [`converted from ${loaded.model.source.model}`, `conversion ${JSON.stringify(loaded.model.conversion)}`];
    const stats = graphStats(graph);
    const totals = { params: stats.reduce((s, n) => s + n.params, 0), macs: stats.reduce((s, n) => s + n.macs, 0) };
    const lines = [
      `${file}: ${loaded.kind === 'ann' ? 'ANN' : 'converted SNN'}, input ${graph.input.name} [N,${graph.input.shape.join(',')}], output ${graph.output}`,
      renderTable(
        ['layer', 'op', 'output', 'params', 'MACs'],
        stats.map((s, i) => [s.name, describe(s.op, graph.nodes[i]!), `[${s.outputShape.join(',')}]`, String(s.params), String(s.macs)]),
      ),
      `total: ${totals.params} parameters, ${totals.macs} MACs per image`,
    ];
    if (log.length > 0) lines.push('', 'loading:', ...log.map((l) => `  ${l}`));
    emitResult(o, () => lines.join('\n'), () => ({ model: file, kind: loaded.kind, input: graph.input, output: graph.output, layers: stats, totals, log }));
  });
}
