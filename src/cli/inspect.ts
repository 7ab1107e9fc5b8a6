/** snnc inspect <model>: layers, shapes, parameters, MACs, and what loading changed. */
import { Command } from 'commander';
import type { Graph } from '../ir/graph.js';
import { graphStats } from '../ir/stats.js';
import { renderTable } from '../report/table.js';
import { oneLine } from '../errors.js';
import { addJsonOption, emitResult, jsonOutputs } from './json-output.js';
import { maxMemoryOfCommand, type RawOptions } from './options.js';
import { checkOutputs, commandInputs } from './outputs.js';
import { logLines } from './print.js';

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
      return `${node.neuron.model}${node.neuron.signed ? ' signed' : ''} t_ref=${node.neuron.tRefSteps}`;
    default:
      return op;
  }
}

export function inspectCommand(): Command {
  const cmd = new Command('inspect')
    .description('print layers, shapes, parameter counts and MACs, and what loading changed')
    .argument('<model>', 'ONNX model (.onnx), TF.js model.json (or its folder), converted network (.snn.json) or NIR graph (.nir)');
  return addJsonOption(cmd, 'the layer table').action(async (file: string, o: RawOptions) => {
    checkOutputs(jsonOutputs(o), commandInputs(file, {}));
    // Loaded here, not at the top: the import pipeline is not needed at other commands' starts.
    const { loadModel } = await import('../convert/load-model.js');
    const loaded = await loadModel(file, { maxMemoryBytes: maxMemoryOfCommand(cmd) });
    const graph = loaded.kind === 'ann' ? loaded.graph : loaded.model.snn;
    const log = loaded.kind === 'ann' ? loaded.log : (loaded.log ?? [`converted from ${loaded.model.source.model}`, `conversion ${JSON.stringify(loaded.model.conversion)}`]);
    const stats = graphStats(graph);
    const totals = { params: stats.reduce((s, n) => s + n.params, 0), macs: stats.reduce((s, n) => s + n.macs, 0) };
    const lines = [
      `${oneLine(file)}: ${loaded.kind === 'ann' ? 'ANN' : loaded.log ? 'NIR graph (spiking)' : 'converted SNN'}, input ${oneLine(graph.input.name, 80)} [N,${graph.input.shape.join(',')}], output ${oneLine(graph.output, 80)}`,
      renderTable(
        ['layer', 'op', 'output', 'params', 'MACs'],
        stats.map((s, i) => [s.name, describe(s.op, graph.nodes[i]!), `[${s.outputShape.join(',')}]`, String(s.params), String(s.macs)]),
      ),
      `total: ${totals.params} parameters, ${totals.macs} MACs per image`,
    ];
    if (log.length > 0) lines.push('', 'loading:', ...logLines(log));
    emitResult(o, () => lines.join('\n'), () => ({ model: file, kind: loaded.kind, input: graph.input, output: graph.output, layers: stats, totals, log }));
  });
}
