/**
 * snnc neuron fi / trace as a user runs them (bin/snnc on the compiled dist/): the JSON shape
 * of the issue, rates against the analytic formula written out here, units in the text,
 * SVG plots, and one-line user errors (exit 2) that leave no output file.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/snnc', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snnc-neuron-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI without blocking the test worker (a blocked worker misses vitest's heartbeats). */
function snnc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Defaults: C = 0.2 nF, g_L = 10 nS (tau_m = 20 ms, R = 100 MOhm), E_L = -70, V_th = -50, V_reset = -65 mV, t_ref = 2 ms. */
function lifRateHz(iNa: number, tauMs = 20, rMOhm = 100, tRefMs = 2): number {
  const vInf = rMOhm * iNa - 70;
  return vInf <= -50 ? 0 : 1000 / (tRefMs + tauMs * Math.log((vInf + 65) / (vInf + 50)));
}

describe('snnc neuron fi', () => {
  it('--json: the documented shape, simulated rates within 1% of the analytic ones', async () => {
    const r = await snnc('neuron', 'fi', '--currents', '0:1:0.1', '--json', '-');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.neuron).toBe('lif');
    expect(report.params).toMatchObject({ cNf: 0.2, gLNs: 10, eLMv: -70, vThMv: -50, vResetMv: -65, tRefMs: 2 });
    expect(report.rheobaseNa).toBeCloseTo(0.2, 12);
    expect(report.maxRateHz).toBe(500);
    expect(report.points).toHaveLength(11);
    for (const p of report.points) {
      expect(Object.keys(p).sort()).toEqual(['analyticRateHz', 'currentNa', 'rateHz']);
      const expected = lifRateHz(p.currentNa);
      expect(p.analyticRateHz).toBeCloseTo(expected, 6);
      if (expected === 0) expect(p.rateHz).toBe(0);
      else expect(Math.abs(p.rateHz - expected) / expected).toBeLessThan(0.01);
    }
  });

  it('text: rheobase, ceiling and units; pif fires for any I > 0; --plot writes an SVG', async () => {
    const plot = path.join(tmp, 'fi.svg');
    const r = await snnc('neuron', 'fi', '--neuron', 'pif', '--t-ref', '0', '--currents', '0.01:0.05:0.02', '--plot', plot);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rheobase 0 nA');
    expect(r.stdout).toContain('C = 0.2 nF');
    expect(r.stdout).toMatch(/I \(nA\) +simulated \(Hz\) +analytic \(Hz\)/);
    // I / (C (V_th - V_reset)) = 1000 * 0.01 / (0.2 * 15) = 3.33 Hz
    expect(r.stdout).toMatch(/0\.01 +3\.33 +3\.33/);
    expect(fs.readFileSync(plot, 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*f-I curve[\s\S]*<\/svg>\s*$/);

    const lif = await snnc('neuron', 'fi', '--currents', '0.3:0.3:0.1', '--e-l', '-72', '--t-ref', '4');
    expect(lif.code).toBe(0);
    expect(lif.stdout).toContain('rheobase I_rheo = g_L (V_th - E_L) = 0.22 nA; ceiling 1 / t_ref = 250 Hz');
    expect(lif.stdout).toContain('tau_m = C / g_L = 20 ms');
  });

  it('noise: the same seed prints the same curve', async () => {
    const args = ['neuron', 'fi', '--currents', '0.15:0.2:0.05', '--noise', '1', '--json', '-'];
    const a = await snnc(...args, '--seed', '7');
    const b = await snnc(...args, '--seed', '7');
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const points = JSON.parse(a.stdout).points;
    // Below the rheobase (0.15 nA < 0.2 nA) the noise makes the neuron fire.
    expect(points[0].rateHz).toBeGreaterThan(0);
    expect(points[0].analyticRateHz).toBe(0);
  });
});

describe('snnc neuron trace', () => {
  it('a pulse: spikes only during the pulse, at the analytic interval', async () => {
    const r = await snnc('neuron', 'trace', '--current', 'pulse:amp=0.5,start=100,end=300', '--duration', '400', '--json', '-');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const spikes: number[] = report.spikeTimesMs;
    expect(spikes.length).toBeGreaterThan(10);
    expect(spikes[0]).toBeGreaterThan(100);
    expect(spikes.at(-1)).toBeLessThan(300);
    const isi = spikes[2]! - spikes[1]!;
    expect(Math.abs(1000 / isi - lifRateHz(0.5)) / lifRateHz(0.5)).toBeLessThan(0.01);
  });

  it('a sine: the low-pass gain against the RC formula, and a plot', async () => {
    const plot = path.join(tmp, 'trace.svg');
    const r = await snnc('neuron', 'trace', '--current', 'sine:amp=0.05,freq=15,offset=0.1', '--duration', '200', '--plot', plot, '--json', '-');
    expect(r.code).toBe(0);
    const gains: { freqHz: number; gain: number }[] = JSON.parse(r.stdout).gain;
    expect(gains.map((g) => g.freqHz)).toContain(15);
    for (const g of gains) {
      const expected = 1 / Math.sqrt(1 + (2 * Math.PI * g.freqHz * 0.02) ** 2);
      expect(Math.abs(g.gain - expected) / expected).toBeLessThan(0.01);
    }
    expect(fs.readFileSync(plot, 'utf8')).toMatch(/^<svg[\s\S]*membrane potential V \(mV\)[\s\S]*<\/svg>\s*$/);
    const text = await snnc('neuron', 'trace', '--current', 'sine:amp=0.05,freq=15,offset=0.1', '--duration', '200');
    expect(text.stdout).toContain('low-pass gain');
    expect(text.stdout).toContain('sine of amplitude 0.05 nA at 15 Hz around 0.1 nA');
  });
});

describe('user errors: one line, exit 2, no output file', () => {
  const plot = path.join(tmp, 'never.svg');
  const cases: [string[], RegExp][] = [
    [['fi', '--currents', '1:0:0.1'], /--currents '1:0:0\.1': to 0 nA is below from 1 nA/],
    [['fi', '--currents', '0:1'], /--currents '0:1': not three numbers/],
    [['fi', '--neuron', 'pif', '--g-l', '5'], /--g-l: the perfect integrator/],
    [['fi', '--neuron', 'lif', '--tau-a', '50'], /--tau-a: adaptation belongs to --neuron alif/],
    [['fi', '--neuron', 'hh'], /--neuron: 'hh' is not one of pif, lif, alif/],
    [['fi', '--v-reset', '-40'], /--v-reset: -40 mV is not below --v-th -50 mV/],
    [['fi', '--timing', 'step', '--dt', '0.3'], /--t-ref: 2 ms is not a whole number of --dt 0\.3 ms steps/],
    [['fi', '--c', '0'], /--c: 0 is below the minimum/],
    [['trace', '--current', 'pulse:amp=1,start=5'], /--current 'pulse:amp=1,start=5': end= missing/],
    [['trace', '--current', 'sine:amp=1,freq=x'], /freq 'x' is not a number/],
    [['trace', '--current', 'square:amp=1'], /unknown kind 'square'/],
    [['trace', '--current', '0.3', '--duration', '0.01'], /--duration: 0\.01 ms is shorter than one step/],
    [['trace'], /required option '--current <spec>' not specified/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async () => {
      const r = await snnc('neuron', ...args, '--plot', plot);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect(fs.existsSync(plot)).toBe(false);
    });
  }

  it('--plot into a missing folder', async () => {
    const r = await snnc('neuron', 'fi', '--currents', '0.3:0.3:0.1', '--plot', path.join(tmp, 'missing', 'fi.svg'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--plot .*fi\.svg: folder .* does not exist/);
  });
});
