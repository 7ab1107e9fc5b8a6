/**
 * The graph's non-linear-algebra nodes in the spiking runtime: flatten (a view), per-channel
 * affine, add and concat, each writing into a buffer it keeps from chunk to chunk. A static
 * operand of add / concat meeting a temporal one is repeated over the chunk's steps.
 *
 * Add and affine run on the native kernels when they are loaded (bit for bit the same sums):
 * in a ResNet's joins they see a million values per chunk, and the JavaScript loops took
 * about as long as the event-driven convolutions.
 */
import type { Node } from '../ir/graph.js';
import { addInto, affine, concatChannels, repeatOverTime } from './kernels.js';
import { nativeKernels } from './native/addon.js';
import type { RuntimeNode } from './runtime-node.js';
import { ensureFloat32, rowsOf, type Chunk, type Signal } from './signal.js';
import { InternalError } from '../errors.js';

export class ElementwiseNode implements RuntimeNode {
  private out: Float32Array = new Float32Array(0);
  private readonly native = nativeKernels();
  private repeated: Float32Array[] = [];

  constructor(
    readonly node: Node,
    /** Values per sample of each input. */
    private readonly inPers: number[],
  ) {}

  begin(): void {}

  run(inputs: readonly Signal[], chunk: Chunk): Signal {
    const node = this.node;
    switch (node.op) {
      case 'flatten':
        return inputs[0]!;
      case 'relu':
        throw new InternalError(`ReLU ${node.name} left in a converted network`);
      case 'affine': {
        const x = inputs[0]!;
        const y = this.buffer(x.data.length);
        const rows = rowsOf(x, chunk);
        if (this.native) this.native.affine(x.data, y, rows, node.scale.data, node.shift.data);
        else affine(x.data, rows, node.scale.data, node.shift.data, y);
        return { data: y, temporal: x.temporal };
      }
      case 'add': {
        const [a, b] = this.alignTime(inputs, chunk);
        const n = a!.data.length;
        const y = this.buffer(n);
        if (this.native) this.native.add(a!.data, b!.data, y, n);
        else addInto(a!.data, b!.data, n, y);
        return { data: y, temporal: a!.temporal };
      }
      case 'concat': {
        const aligned = this.alignTime(inputs, chunk);
        const rows = rowsOf(aligned[0]!, chunk);
        const y = this.buffer(rows * this.inPers.reduce((s, p) => s + p, 0));
        return { data: concatChannels(aligned.map((s) => s.data), this.inPers, rows, y), temporal: aligned[0]!.temporal };
      }
      default:
        throw new InternalError(`${node.op} node ${node.name} is not element-wise`);
    }
  }

  private buffer(n: number): Float32Array {
    this.out = ensureFloat32(this.out, n);
    return this.out.subarray(0, n);
  }

  /** Makes all signals temporal if any is (a static one repeats over the chunk's steps). */
  private alignTime(inputs: readonly Signal[], chunk: Chunk): readonly Signal[] {
    if (!inputs.some((s) => s.temporal)) return inputs;
    return inputs.map((s, k) => {
      if (s.temporal) return s;
      const n = s.data.length * chunk.steps;
      this.repeated[k] = ensureFloat32(this.repeated[k] ?? new Float32Array(0), n);
      return { data: repeatOverTime(s.data, chunk.steps, this.repeated[k]!.subarray(0, n)), temporal: true };
    });
  }
}
