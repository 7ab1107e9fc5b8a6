/**
 * `--nir-pool sum`: average pooling written as NIR SumPool2d, with the divisor (the kernel
 * area k) folded into the weights of the layer that reads the pool, for importers that take
 * SumPool2d but not AvgPool2d (Sinabs). Exact: the reader computes W (sum x) = (W / k)(k mean x),
 * and its bias is unchanged. Only where that layer (Conv2d, Affine or Linear, possibly through
 * a Flatten) reads nothing but the pool; otherwise the pool is named in `refused`.
 */
import { f32, type NirDocument, type NirValue } from './document.js';

const WEIGHTED = new Set(['Conv2d', 'Affine', 'Linear']);

function successors(doc: NirDocument, name: string): string[] {
  return doc.edges.filter(([a]) => a === name).map(([, b]) => b);
}

function predecessors(doc: NirDocument, name: string): string[] {
  return doc.edges.filter(([, b]) => b === name).map(([a]) => a);
}

/** The weighted layers that read pool `name` (through at most one Flatten), if each reads only it. */
function readers(doc: NirDocument, name: string): string[] | null {
  const found: string[] = [];
  for (const s of successors(doc, name)) {
    const node = doc.nodes.get(s)!;
    if (predecessors(doc, s).length !== 1) return null;
    if (node.type === 'Flatten') {
      const next = successors(doc, s);
      if (next.length === 0) return null;
      for (const n of next) {
        if (!WEIGHTED.has(doc.nodes.get(n)!.type) || predecessors(doc, n).length !== 1) return null;
        found.push(n);
      }
    } else if (WEIGHTED.has(node.type)) {
      found.push(s);
    } else {
      return null;
    }
  }
  return found.length > 0 ? found : null;
}

function scaled(v: NirValue, factor: number): NirValue {
  if (v.dtype !== 'float32') return v;
  return f32(v.dims, Float32Array.from(v.data, (w) => w * factor));
}

/** A copy of `doc` with every AvgPool2d it can rewrite as SumPool2d; the others in `refused`. */
export function poolsAsSums(doc: NirDocument): { doc: NirDocument; rewritten: string[]; refused: string[] } {
  const nodes = new Map(doc.nodes);
  const rewritten: string[] = [];
  const refused: string[] = [];
  for (const [name, node] of doc.nodes) {
    if (node.type !== 'AvgPool2d') continue;
    const targets = readers(doc, name);
    const kernel = node.params.kernel_size;
    if (!targets || !kernel || kernel.dtype !== 'int64') {
      refused.push(name);
      continue;
    }
    const area = kernel.data.reduce((a, b) => a * b, 1);
    nodes.set(name, { ...node, type: 'SumPool2d', metadata: { ...node.metadata } });
    for (const t of targets) {
      const reader = nodes.get(t)!;
      nodes.set(t, { ...reader, params: { ...reader.params, weight: scaled(reader.params.weight!, 1 / area) } });
    }
    rewritten.push(name);
  }
  return { doc: { ...doc, nodes }, rewritten, refused };
}
