/**
 * The documentation against the program: docs/options.md documents every flag of every
 * command (as commander defines them in buildProgram()), nothing that does not exist, and the
 * defaults the program uses; README.md and every docs/ page mention only flags that exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.js';

const OPTIONS_PAGE = 'docs/options.md';

interface DocRow {
  flag: string;
  defaultCell: string;
  line: number;
}

/** Every command of the program by its path ('' for the program, 'neuron fi', ...). */
function commandsByPath(): Map<string, Command> {
  const out = new Map<string, Command>();
  const walk = (cmd: Command, prefix: string): void => {
    out.set(prefix, cmd);
    for (const sub of cmd.commands) walk(sub, prefix ? `${prefix} ${sub.name()}` : sub.name());
  };
  walk(buildProgram(), '');
  return out;
}

/**
 * The options page's tables by command: a heading names its commands in backticks (`snnc`,
 * `snnc eval`, `snnc neuron fi`); each table row under it documents one flag, with its default
 * in the second column.
 */
function documentedByCommand(text: string): Map<string, DocRow[]> {
  const out = new Map<string, DocRow[]>();
  let commands: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^#{2,} /.test(line)) {
      commands = [...line.matchAll(/`snnc((?: [a-z]+)*)`/g)].map((m) => m[1]!.trim());
      return;
    }
    if (!line.startsWith('| `-')) return;
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const flag = /--[a-z][a-z0-9-]*/.exec(cells[1]!)?.[0];
    if (!flag) return;
    for (const c of commands) {
      if (!out.has(c)) out.set(c, []);
      out.get(c)!.push({ flag, defaultCell: cells[2]!, line: i + 1 });
    }
  });
  return out;
}

/** What the default column must say for this option, or null when it is free text. */
function expectedDefault(o: Option): { exact: string } | { startsWith: string } | { prose: true } {
  if (o.long === '--version') return { prose: true };
  if (o.negate || (o.required === false && o.optional === false)) {
    // A switch (--channelwise, --no-timing): off unless given.
    return { exact: 'off' };
  }
  const d: unknown = o.defaultValue;
  if (typeof d === 'string' || typeof d === 'number') return { exact: `\`${d}\`` };
  // A default computed at run time and stated in the help text: "(default 10, 0 for pif)".
  const stated = /\(default ([^,;)]+)/.exec(o.description);
  if (stated) return { startsWith: stated[1]!.trim() };
  return { prose: true };
}

describe(OPTIONS_PAGE, () => {
  const text = fs.readFileSync(OPTIONS_PAGE, 'utf8');
  const documented = documentedByCommand(text);
  const commands = commandsByPath();

  it('names only commands that exist', () => {
    expect([...documented.keys()].filter((c) => !commands.has(c))).toEqual([]);
  });

  for (const [name, cmd] of commands) {
    const label = name === '' ? 'snnc (global options)' : `snnc ${name}`;
    it(`${label}: every flag is documented once, and every documented flag exists`, () => {
      const real = cmd.options.map((o) => o.long!).sort();
      const rows = documented.get(name) ?? [];
      const doc = rows.map((r) => r.flag).sort();
      expect({ command: label, undocumented: real.filter((f) => !doc.includes(f)) }).toEqual({ command: label, undocumented: [] });
      expect({ command: label, documentedButMissing: doc.filter((f) => !real.includes(f)) }).toEqual({ command: label, documentedButMissing: [] });
      expect({ command: label, documentedTwice: doc.filter((f, i) => doc.indexOf(f) !== i) }).toEqual({ command: label, documentedTwice: [] });
    });

    it(`${label}: the documented defaults are the real ones`, () => {
      const wrong: string[] = [];
      for (const row of documented.get(name) ?? []) {
        const o = cmd.options.find((x) => x.long === row.flag);
        if (!o) continue;
        const want = expectedDefault(o);
        const cell = row.defaultCell;
        const plain = cell.replace(/`/g, '');
        const ok =
          'exact' in want ? cell === want.exact : 'startsWith' in want ? plain.startsWith(want.startsWith) : !/^`[^`]*`$/.test(cell);
        if (!ok) wrong.push(`${OPTIONS_PAGE}:${row.line} ${row.flag}: documented ${JSON.stringify(cell)}, expected ${JSON.stringify(want)}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

/** Flags of tools other than snnc that the pages mention (npm, Slurm, the benchmark, the ablation script). */
const OTHER_TOOLS_FLAGS = new Set(['--samples', '--samples-batch1', '--models', '--spikingjelly', '--flags', '--model', '--ignore-scripts', '--array', '--framework', '--count', '--steps']);

describe('README.md and docs/*.md', () => {
  const all = new Set<string>();
  for (const cmd of commandsByPath().values()) for (const o of cmd.options) all.add(o.long!);
  all.add('--help');
  const pages = ['README.md', ...fs.readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];

  it.each(pages)('%s mentions only flags that exist', (page) => {
    const text = fs.readFileSync(page, 'utf8');
    const unknown = new Set<string>();
    // Flags in inline code and code blocks: a space, backtick or bracket, then --name.
    for (const m of text.matchAll(/(?<=[\s`(['"])--([a-z][a-z0-9-]*)/g)) {
      const flag = `--${m[1]}`;
      if (!all.has(flag) && !OTHER_TOOLS_FLAGS.has(flag)) unknown.add(flag);
    }
    expect([...unknown]).toEqual([]);
  });
});
