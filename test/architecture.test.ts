/**
 * The import graph against the layer order in layers.json: no cycles, no import from a layer
 * to a later one, no module outside the layers. dependency-cruiser does the work with the
 * rules in .dependency-cruiser.cjs (the same that `npx depcruise src` uses by hand).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const CONFIG = path.join(REPO, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const LAYERS = JSON.parse(fs.readFileSync(path.join(REPO, 'layers.json'), 'utf8')) as {
  layers: string[];
  exceptions: { rule: string; modules: string[]; reason: string }[];
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: { name: string }[];
}

/** dependency-cruiser's violations for the modules under `cwd`/src, with the project's rules. */
function cruise(cwd: string): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    // Exit code 1+ means violations; the JSON is on stdout all the same.
    out = (err as { stdout?: string }).stdout ?? '';
    if (!out) throw err;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

const describeViolation = (v: Violation): string =>
  `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`;

describe('architecture', () => {
  it('src/ has no import cycle and no import from a lower layer to a higher one', () => {
    const violations = cruise(REPO);
    const errors = violations.filter((v) => v.rule.severity !== 'ignore').map(describeViolation);
    expect(errors, 'layer order and exceptions: layers.json; what each layer holds: docs/architecture.md').toEqual([]);
    // Every exception still occurs; one that no longer does is deleted from layers.json.
    const ignored = violations.filter((v) => v.rule.severity === 'ignore');
    for (const e of LAYERS.exceptions) {
      const occurs = ignored.some((v) => v.rule.name === e.rule && e.modules.every((m) => v.from === m || v.to === m || v.cycle?.some((c) => c.name === m)));
      expect(occurs, `layers.json exception ${e.rule} ${e.modules.join(', ')} no longer occurs: delete it`).toBe(true);
    }
  });

  it('the rules catch an upward import, a cycle, a folder outside the layers and a package outside its layers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snnc-layers-'));
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      };
      write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
      write('src/runtime/sim.ts', 'export const steps = 1;\n');
      write('src/io/loader.ts', "import { steps } from '../runtime/sim.js';\nexport const x = steps;\n");
      write('src/eval/record.ts', 'export interface Row { a: number }\n');
      write('src/passes/fold.ts', "import type { Row } from '../eval/record.js';\nexport const y = (r: Row) => r.a;\n");
      write('src/ir/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
      write('src/ir/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
      write('src/misc/stray.ts', "import { steps } from '../runtime/sim.js';\nexport const z = steps;\n");
      // Flags belong to the CLI: commander anywhere else is refused.
      fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
      write('src/eval/flags.ts', "import { Command } from 'commander';\nexport const c = new Command();\n");
      write('src/cli/main.ts', "import { Command } from 'commander';\nexport const c = new Command();\n");
      const found = cruise(dir)
        .map(describeViolation)
        .map((v) => v.replace(/-> \S*node_modules\/commander\/\S*/, '-> commander'))
        .sort();
      expect(found).toEqual(
        [
          'layer-io: src/io/loader.ts -> src/runtime/sim.ts',
          // A type-only import counts: the record belongs below its users.
          'layer-passes: src/passes/fold.ts -> src/eval/record.ts',
          // A cycle is reported once.
          'no-circular: src/ir/a.ts -> src/ir/b.ts (cycle src/ir/b.ts -> src/ir/a.ts)',
          'outside-layers: src/misc/stray.ts -> src/runtime/sim.ts',
          'package-commander: src/eval/flags.ts -> commander',
        ].sort(),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docs/architecture.md draws the layers in the order of layers.json', () => {
    const doc = fs.readFileSync(path.join(REPO, 'docs/architecture.md'), 'utf8');
    const diagram = /```text\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    // The diagram lists the layers top (bench) to bottom (errors), one per line, name first.
    const drawn = diagram
      .split('\n')
      .map((l) => /^\s*([a-z]+(?:\.ts)?)\b/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined);
    expect(drawn).toEqual([...LAYERS.layers].reverse());
  });
});
