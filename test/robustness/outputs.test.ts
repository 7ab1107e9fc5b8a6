/**
 * Outputs never destroy inputs or each other, and special targets are written as what they
 * are: an output naming an input (directly, through `./`, a symbolic link, or a converted
 * network's weights file) or another output is refused before the run, exit 2, the file
 * untouched; devices are written directly (/dev/null stays a device, /dev/full reports a full
 * disk, /dev/stdout prints); symbolic links are followed; read-only files are refused for a
 * user the shell would refuse; a 250-character name works; a sweep folder is replaced whole.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceFolderAtomic, writeFileAtomic } from '../../src/util/atomic-write.js';
import { snncInProcess } from '../helpers/cli-in-process.js';
import { tempDir } from '../helpers/idx.js';
import { convnetData, snnc, snncLines, temporariesIn } from './cli.js';

const dir = tempDir('snnc-outputs-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let data = '';
let model = '';
let net = '';
const sha = (file: string) => fs.readFileSync(file).toString('base64');

beforeAll(async () => {
  data = convnetData(dir, 10);
  model = path.join(dir, 'm.onnx');
  fs.copyFileSync('fixtures/onnx/convnet.onnx', model);
  net = path.join(dir, 'c.snn.json');
  // The network the cases start from, converted in this process (the cases run the binary).
  const r = await snncInProcess(['convert', model, '--out', net, '--data', data, '--calib-data', data, '-q']);
  expect(r.code, r.stderr).toBe(0);
});

const run = (args: string[]) => ['--data', data, '--calib-data', data, '-q', ...args];
const evalRun = (m: string, args: string[]) => ['eval', m, '-T', '2', ...run(args)];

describe('an output that names an input is refused before the run', () => {
  it.each([
    ['eval --json the model', () => evalRun(model, ['--json', model]), () => model],
    ['eval --report the model through ./', () => evalRun(model, ['--report', path.join(dir, '.', 'm.onnx')]), () => model],
    ['eval --json the converted network\'s weights', () => ['eval', net, '-T', '2', '--data', data, '-q', '--json', net.replace(/json$/, 'bin')], () => net.replace(/json$/, 'bin')],
    ['eval --json the dataset', () => evalRun(model, ['--json', data.slice(4).split(',')[0]!]), () => data.slice(4).split(',')[0]!],
    ['export --out the model', () => ['export', model, '--format', 'nir', ...run(['--out', model])], () => model],
    ['check --junit the model', () => ['check', model, '--baseline', path.join(dir, 'b.json'), ...run(['--junit', model])], () => model],
    ['convert --out whose weights file is the model', () => ['convert', path.join(dir, 'x.snn.bin'), ...run(['--out', path.join(dir, 'x.snn.json')])], () => path.join(dir, 'x.snn.bin')],
  ])('%s', async (_, args, victim) => {
    const file = victim();
    if (!fs.existsSync(file)) fs.copyFileSync(model, file);
    const before = sha(file);
    const r = await snnc(args());
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(/is an input of this command; writing it would replace it/)]);
    expect(sha(file)).toBe(before);
  });

  it('an output reached through a symbolic link to the model', async () => {
    const link = path.join(dir, 'link.json');
    fs.symlinkSync(model, link);
    const before = sha(model);
    const r = await snnc(evalRun(model, ['--json', link]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is an input of this command \(the same file as .*m\.onnx\)/);
    expect(sha(model)).toBe(before);
  });

  it('two outputs with one name (--json x --plot ./x)', async () => {
    const r = await snnc(evalRun(model, ['--json', path.join(dir, 'x'), '--plot', `${dir}/./x`]));
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual([expect.stringMatching(/--plot .*x: --json names the same file; one output would be lost$/)]);
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });

  it('merge --out into a folder holding one of its inputs', async () => {
    const shard = path.join(dir, 'shard');
    fs.mkdirSync(shard);
    fs.writeFileSync(path.join(shard, 'results.json'), '{}');
    const r = await snnc(['merge', shard, '--out', shard]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is an input of this command/);
    expect(fs.readFileSync(path.join(shard, 'results.json'), 'utf8')).toBe('{}');
  });
});

describe('special targets', () => {
  it.skipIf(!fs.existsSync('/dev/null'))('/dev/null stays a character device', async () => {
    const r = await snnc(evalRun(model, ['--json', '/dev/null']));
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it.skipIf(!fs.existsSync('/dev/full'))('/dev/full reports a full disk, exit 2', async () => {
    const r = await snnc(evalRun(model, ['--json', '/dev/full']));
    expect(r.code).toBe(2);
    expect(snncLines(r.stderr)).toEqual(['snnc: /dev/full: cannot write (ENOSPC: disk full)']);
    expect(fs.statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('--json /dev/stdout prints the report after the table', async () => {
    const r = await snnc(evalRun(model, ['--json', '/dev/stdout', '--no-timing']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/"samples": 10/);
  });

  it('a FIFO target is written directly to its reader', () => {
    const fifo = path.join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = execFileSync('sh', ['-c', `cat "${fifo}" & pid=$!; node -e "import('${path.resolve('dist/util/atomic-write.js')}').then(m => m.writeFileAtomic('${fifo}', 'through the pipe'))"; wait $pid`]);
    expect(reader.toString()).toBe('through the pipe');
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  });

  it('a symbolic link is followed: the target is replaced, the link stays a link', () => {
    const target = path.join(dir, 'real.json');
    const link = path.join(dir, 'via-link.json');
    fs.writeFileSync(target, 'old');
    fs.symlinkSync(target, link);
    writeFileAtomic(link, 'new');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('new');
    expect(temporariesIn(dir)).toEqual([]);
  });

  it('a link to nothing is refused', () => {
    const link = path.join(dir, 'dangling.json');
    fs.symlinkSync(path.join(dir, 'nowhere', 'x.json'), link);
    expect(() => writeFileAtomic(link, 'x')).toThrow(/is a symbolic link to a missing file$/);
  });

  it('a 250-character file name works (the temporary name stays short)', () => {
    const file = path.join(dir, `${'n'.repeat(245)}.json`);
    writeFileAtomic(file, '{}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect(() => writeFileAtomic(path.join(dir, `${'n'.repeat(256)}`), '{}')).toThrow(/file name too long \(256 bytes, at most 255\)/);
  });

  it.skipIf(os.userInfo().uid !== 0)('a read-only file (mode 444) is refused for a user who may not write it, and left as it was', () => {
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'snnc-ro-'));
    try {
      fs.chmodSync(shared, 0o777);
      const file = path.join(shared, 'ro.json');
      fs.writeFileSync(file, 'keep');
      fs.chmodSync(file, 0o444);
      // The build may be private to root: give the other user its own copy of the module.
      fs.mkdirSync(path.join(shared, 'util'));
      fs.copyFileSync('dist/util/atomic-write.js', path.join(shared, 'util', 'atomic-write.js'));
      fs.copyFileSync('dist/errors.js', path.join(shared, 'errors.js'));
      fs.writeFileSync(path.join(shared, 'package.json'), '{"type": "module"}');
      const script = `import('${path.join(shared, 'util', 'atomic-write.js')}').then(m => { try { m.writeFileAtomic('${file}', 'x'); console.log('written'); } catch (e) { console.log(e.message); } })`;
      const out = execFileSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534 }).toString();
      expect(out.trim()).toBe(`${file}: is read-only (permission denied)`);
      expect(fs.readFileSync(file, 'utf8')).toBe('keep');
    } finally {
      fs.rmSync(shared, { recursive: true, force: true });
    }
  });
});

describe('a sweep folder is replaced as a whole', () => {
  it('old charts do not survive next to a new results.json', () => {
    const out = path.join(dir, 'sweep');
    replaceFolderAtomic(out, [{ name: 'results.json', data: 'old' }, { name: 'accuracy.svg', data: 'old chart' }], ['results.json', 'accuracy.svg']);
    replaceFolderAtomic(out, [{ name: 'results.json', data: 'new' }], ['results.json', 'accuracy.svg']);
    expect(fs.readdirSync(out)).toEqual(['results.json']);
    expect(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).toBe('new');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.sweep'))).toEqual([]);
  });

  it('a write that fails part-way leaves the previous folder whole', () => {
    const out = path.join(dir, 'sweep2');
    replaceFolderAtomic(out, [{ name: 'results.json', data: 'old' }, { name: 'results.csv', data: 'old' }], ['results.json', 'results.csv']);
    // Two files of one name: the second cannot be created, as a full disk would stop it.
    expect(() => replaceFolderAtomic(out, [{ name: 'results.csv', data: 'new' }, { name: 'results.csv', data: 'new' }], ['results.json', 'results.csv'])).toThrow();
    expect(fs.readdirSync(out).sort()).toEqual(['results.csv', 'results.json']);
    expect(fs.readFileSync(path.join(out, 'results.csv'), 'utf8')).toBe('old');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.sweep2'))).toEqual([]);
  });

  it('a folder holding other files is refused, not emptied', () => {
    const out = path.join(dir, 'mine');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    expect(() => replaceFolderAtomic(out, [{ name: 'results.json', data: 'x' }], ['results.json'])).toThrow(/holds 'notes\.txt', which an output folder does not/);
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
