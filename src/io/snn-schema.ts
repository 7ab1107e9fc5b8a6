/**
 * The shape of a converted network's manifest (.snn.json), as data: every field's expected
 * kind, and per IR op the fields its nodes carry. loadSnn checks a manifest against it before
 * using any field, so a hand-edited or corrupt manifest is refused with one line naming the
 * field (e.g. "snn.nodes[3].strides: expected [int >= 1, int >= 1], got [0,1]") instead of
 * failing somewhere inside the runtime. Unknown extra fields are ignored.
 */
import type { OpName } from '../ir/graph.js';
import { arrayOf, bool, checkAgainst, literal, nullable, num, object, oneOf, str, type Rule } from '../util/schema.js';

const finite = num();
const size = num({ integer: true, min: 1 });
const count = num({ integer: true, min: 0 });
const pair = arrayOf(size, { exactly: 2 });
const pads = arrayOf(count, { exactly: 4 });

/** A tensor stored in the weights file: { dims, offset, length } in float32 elements. */
export const TENSOR_REF = object({ dims: arrayOf(count), offset: count, length: count });

const neuron = object({
  model: oneOf('if', 'lif'),
  vThreshold: num({ above: 0 }),
  vReset: finite,
  reset: oneOf('subtract', 'zero'),
  vInitFraction: finite,
  'vInitRandom?': bool,
  'predistort?': bool,
  tRefSteps: num({ integer: true, min: 0, max: 1_000_000 }),
  'tauSteps?': num({ above: 0 }),
  'signed?': bool,
});

const pool = { kernel: pair, strides: pair, pads, ceilMode: bool, countIncludePad: bool };

/** Fields of each IR op besides name, op, inputs and output; the type makes a new op a compile error here. */
export const NODE_FIELDS: Record<OpName, Record<string, Rule>> = {
  conv: { weight: TENSOR_REF, bias: TENSOR_REF, strides: pair, pads, dilations: pair, group: size },
  dense: { weight: TENSOR_REF, bias: TENSOR_REF },
  affine: { scale: TENSOR_REF, shift: TENSOR_REF },
  relu: { 'ceiling?': num({ above: 0 }) },
  maxpool: pool,
  avgpool: pool,
  globalavgpool: {},
  flatten: {},
  add: {},
  concat: {},
  spike: { neuron, lambda: arrayOf(finite, { min: 1 }), 'vInitShift?': arrayOf(finite, { min: 1 }) },
};

const node: Rule = (v, p) => {
  const base = object({ name: str, op: oneOf(...Object.keys(NODE_FIELDS)), inputs: arrayOf(str), output: str })(v, p);
  if (base) return base;
  return object(NODE_FIELDS[(v as { op: OpName }).op])(v, p);
};

const graph = object({
  name: str,
  input: object({ name: str, shape: arrayOf(size, { min: 1 }) }),
  output: str,
  nodes: arrayOf(node),
});

/** How the input is scaled and normalised (a manifest's and a sweep result's preprocess). */
export const PREPROCESS = object({ scale: finite, mean: arrayOf(finite, { min: 1 }), std: arrayOf(finite, { min: 1 }) });

/** The conversion settings a manifest (and each sweep result) records. */
export const CONVERSION = object({
  percentile: num({ min: 0, max: 100 }),
  channelwise: bool,
  calibSamples: count,
  calibData: str,
  reset: oneOf('subtract', 'zero'),
  tRefSteps: num({ integer: true, min: 0, max: 1_000_000 }),
  vInitFraction: finite,
  neuron: oneOf('if', 'lif'),
  'tauSteps?': num({ above: 0 }),
  // Settings added after schemaVersion 1 was first written: older manifests lack them.
  'vInitRandom?': bool,
  'predistort?': bool,
  'signedSpikes?': bool,
  'readout?': oneOf('membrane', 'spikes'),
  'maxpool?': oneOf('spiking', 'avg'),
  'percentileAuto?': bool,
  'percentileFit?': bool,
  'fitTimesteps?': num({ integer: true, min: 1 }),
  'calibGroup?': num({ integer: true, min: 1 }),
  'deepDefaults?': arrayOf(oneOf('percentile', 'channelwise', 'calibrate')),
  'percentileSearch?': arrayOf(object({ percentile: finite, accuracy: finite })),
  'vInitAuto?': bool,
  'vInitSearch?': arrayOf(object({ vInit: oneOf('0.5', 'random'), accuracy: finite })),
  'calibrate?': oneOf('none', 'bias', 'potential', 'gain'),
  'calibTimesteps?': num({ integer: true, min: 1 }),
  'target?': oneOf('nir'),
});

export const MANIFEST = object({
  format: literal('snnc-snn'),
  schemaVersion: literal(1),
  source: object({ model: str, sha256: str }),
  preprocess: PREPROCESS,
  conversion: CONVERSION,
  calibration: arrayOf(
    object({ layer: str, lambda: arrayOf(finite), clippedFraction: finite, 'max?': nullable(finite), 'activeFraction?': finite }),
  ),
  snn: graph,
  ann: graph,
  weights: object({ file: str, bytes: count, sha256: str }),
});

/** Throws a user error naming `file` and the first field that does not match the schema. */
export function checkManifest(manifest: unknown, file: string): void {
  checkAgainst(MANIFEST, manifest, file);
}
