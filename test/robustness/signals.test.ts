/**
 * A signal ends snnc within a second whatever it is doing: the command runs in a child
 * process under a supervisor (src/cli/supervisor.ts) that passes the signal on and kills the
 * child if it does not end by itself, because it is inside synchronous work where no
 * JavaScript handler can run. Inputs that would block in open() (FIFOs) are refused before
 * they are opened.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/idx.js';
import { convnetData, snnc, snncLines, startUntil, temporariesIn } from './cli.js';

const dir = tempDir('snnc-signals-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A real synchronous loop of the neuron lab (5001 neurons x 9900 steps, the largest allowed). */
const SYNC_WORK = ['neuron', 'fi', '--currents', '0:1:0.0002', '--duration', '990'];

describe('signals during synchronous work', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s ends a synchronous loop within a second, one line, exit %i', async (signal, code) => {
    // The hook holds the command in synchronous code from its start, so the signal cannot be
    // handled by the command's own (event-loop) handlers however fast the loop is here.
    const { child, done } = await startUntil(SYNC_WORK, 'test-hook: spinning', { preload: 'spin-at-start.mjs' });
    const began = performance.now();
    child.kill(signal);
    const r = await done;
    expect(r.code).toBe(code);
    expect(performance.now() - began).toBeLessThan(1000);
    expect(snncLines(r.stderr)).toEqual([`snnc: interrupted by ${signal}`]);
  });

  it('a process killed inside a synchronous write leaves no temporary file', async () => {
    const json = path.join(dir, 'report.json');
    const { child, done } = await startUntil(
      ['eval', 'fixtures/onnx/convnet.onnx', '--data', convnetData(dir, 10), '--calib-data', convnetData(dir, 10), '-T', '2', '--json', json, '-q'],
      'test-hook: stuck in fsync',
      { preload: 'hang-in-fsync.mjs' },
    );
    const began = performance.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(performance.now() - began).toBeLessThan(1000);
    expect(r.code).toBe(143);
    expect(fs.existsSync(json)).toBe(false);
    expect(temporariesIn(dir)).toEqual([]);
  });
});

/** Whether process `pid` is still running (a zombie waiting to be reaped has ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('a supervisor killed by SIGKILL', () => {
  it('takes the command process with it, which ends as on SIGTERM without writing its output', async () => {
    const json = path.join(dir, 'orphaned.json');
    const data = convnetData(dir, 10);
    // The hook holds the command inside an onnxruntime run (its event loop free), as a long evaluation would.
    const { child, done } = await startUntil(
      ['eval', 'fixtures/onnx/convnet.onnx', '--data', data, '--calib-data', data, '-T', '2', '--json', json, '-q'],
      'test-hook: blocked',
      { preload: 'block-ort.mjs' },
    );
    const [command] = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(command).toBeGreaterThan(0);
    child.kill('SIGKILL');
    try {
      await expect.poll(() => running(command!), { timeout: 5000 }).toBe(false);
    } finally {
      if (running(command!)) process.kill(command!, 'SIGKILL');
    }
    // It held the supervisor's stdout and stderr: they have closed now.
    expect((await done).signal).toBe('SIGKILL');
    expect(fs.existsSync(json)).toBe(false);
    expect(temporariesIn(dir)).toEqual([]);
  });
});

describe('inputs that would block', () => {
  const fifo = path.join(dir, 'pipe');
  const fifoModel = path.join(dir, 'model.onnx');
  execFileSync('mkfifo', [fifo, fifoModel]);

  it('a FIFO given as data, config, model or baseline is refused at once, naming it', async () => {
    const data = convnetData(dir, 10);
    const labels = data.split(',')[1]!;
    for (const args of [
      ['eval', 'fixtures/onnx/convnet.onnx', '--data', `idx:${fifo},${labels}`],
      ['eval', 'fixtures/onnx/convnet.onnx', '--config', fifo],
      ['inspect', fifoModel],
      ['check', 'fixtures/onnx/convnet.onnx', '--baseline', fifo],
    ]) {
      const r = await snnc(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(snncLines(r.stderr), args.join(' ')).toEqual([expect.stringMatching(/(pipe|model\.onnx): is a FIFO \(named pipe\), expected a regular file$/)]);
    }
  });

  it("a converted network whose weights file is a FIFO in its folder is refused, not waited on", async () => {
    const out = path.join(dir, 'net.snn.json');
    const data = convnetData(dir, 10);
    expect((await snnc(['convert', 'fixtures/onnx/convnet.onnx', '--out', out, '--data', data, '--calib-data', data, '-q'])).code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(out, 'utf8'));
    manifest.weights.file = 'pipe';
    fs.writeFileSync(out, JSON.stringify(manifest));
    const r = await snnc(['inspect', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipe: is a FIFO/);
  });
});

