/**
 * A converted network in memory: the spiking graph, the reference ANN it came from, the
 * preprocessing both expect and the calibration statistics that set each layer's scale.
 * io/snn-file.ts reads and writes it as <name>.snn.json + <name>.snn.bin.
 */
import type { Graph } from '../ir/graph.js';
import type { ActivationStats } from './activation-stats.js';
import type { ConversionSettings } from './conversion-settings.js';
import type { Preprocess } from './dataset.js';

export interface SnnModel {
  source: { model: string; sha256: string };
  preprocess: Preprocess;
  conversion: ConversionSettings;
  calibration: ({ layer: string } & ActivationStats)[];
  snn: Graph;
  ann: Graph;
}
