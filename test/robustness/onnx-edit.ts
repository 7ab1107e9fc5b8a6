/** Small, named edits of the ONNX fixtures for the robustness tests (the fuzz suite has the random ones). */
import fs from 'node:fs';
import { onnx, type ModelProto } from '../../src/io/onnx/proto.js';

export function editOnnx(fixture: string, edit: (model: ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(fs.readFileSync(`fixtures/onnx/${fixture}`));
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

/** Writes float32 `values` into initializer `name` from element `at` on. */
export function setFloats(model: ModelProto, name: string, at: number, values: number[]): void {
  const init = model.graph!.initializer!.find((i) => i.name === name);
  if (!init?.rawData) throw new Error(`no raw initializer ${name}`);
  const raw = init.rawData.slice();
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  values.forEach((v, i) => view.setFloat32(4 * (at + i), v, true));
  init.rawData = raw;
}
