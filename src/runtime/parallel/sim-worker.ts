/**
 * A simulation worker: holds one SnnSimulator (its own onnxruntime sessions, normally at one
 * intra-op thread) and runs the batches the driver sends, one at a time, in arrival order.
 */
import { parentPort } from 'node:worker_threads';
import { SnnSimulator } from '../simulator.js';
import { transferablesOf, type FromWorker, type ToWorker } from './protocol.js';

if (parentPort === null) throw new Error('internal: sim-worker.js must run in a worker thread');
const port = parentPort;

let sim: SnnSimulator | null = null;
// Messages are handled strictly one after the other (each handler awaits the previous one).
let queue: Promise<void> = Promise.resolve();

const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function handle(m: ToWorker): Promise<void> {
  switch (m.kind) {
    case 'init':
      sim = await SnnSimulator.create(m.graph, m.timesteps, m.options);
      send({ kind: 'ready' });
      return;
    case 'batch': {
      if (sim === null) throw new Error('internal: batch before init');
      const result = await sim.runBatch(m.x, m.count, { capture: new Set(m.capture), firstSample: m.firstSample });
      send({ kind: 'result', id: m.id, result }, transferablesOf(result));
      return;
    }
    case 'close':
      await sim?.release();
      sim = null;
      send({ kind: 'closed' });
      port.close();
      return;
  }
}

port.on('message', (m: ToWorker) => {
  queue = queue.then(() =>
    handle(m).catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      send({ kind: 'error', id: m.kind === 'batch' ? m.id : null, message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
    }),
  );
});
