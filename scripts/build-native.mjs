#!/usr/bin/env node
// Builds the native kernels of the spiking runtime from source (native/*.c) into
// <outDir>/native/snnc.node (default dist/) with the machine's C compiler as a Node-API addon:
// `cc -O3 -march=native -ffp-contract=off -shared -fPIC`, against Node's own headers
// (<node>/include/node) or, where Node ships without them, the npm package node-api-headers.
// Nothing is downloaded and no prebuilt binary is used. scripts/build.mjs calls it for every
// build of dist/.
//
// A missing compiler or a failed compile is not an error: the build goes on without the
// library, the runtime uses its WebAssembly kernels (same results), and the reason is kept in
// <outDir>/native/build.log for `snnc --version` to report. CC picks another compiler
// (SNNC_NATIVE=0 turns the library off at run time, not here).
//   node scripts/build-native.mjs          (also: import { buildNative } from './build-native.mjs')
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NATIVE_SOURCE_DIR = path.join(root, 'native');

/** Node-API headers: Node's own, else the node-api-headers package. Null when neither is there. */
function headerDir() {
  const own = path.join(path.dirname(process.execPath), '..', 'include', 'node');
  if (fs.existsSync(path.join(own, 'node_api.h'))) return own;
  try {
    const pkg = createRequire(import.meta.url).resolve('node-api-headers/package.json');
    const dir = path.join(path.dirname(pkg), 'include');
    if (fs.existsSync(path.join(dir, 'node_api.h'))) return dir;
  } catch {
    // not installed (a production install without dev dependencies)
  }
  return null;
}

/**
 * Compiles the kernels into <outDir>/native/snnc.node. Returns the file, or null (with the
 * reason in <outDir>/native/build.log) when there is no compiler or the compile fails.
 */
export function buildNative({ outDir = path.join(root, 'dist') } = {}) {
  const dir = path.join(outDir, 'native');
  const output = path.join(dir, 'snnc.node');
  const log = path.join(dir, 'build.log');
  fs.mkdirSync(dir, { recursive: true });
  const skip = (reason) => {
    fs.writeFileSync(log, `not built: ${reason}\n`);
    return null;
  };
  const include = headerDir();
  if (include === null) return skip('no Node-API headers (neither Node include/node nor node-api-headers)');
  const cc = process.env.CC || 'cc';
  const sources = fs.readdirSync(NATIVE_SOURCE_DIR).filter((f) => f.endsWith('.c')).map((f) => path.join(NATIVE_SOURCE_DIR, f));
  const args = ['-O3', '-march=native', '-ffp-contract=off', '-fvisibility=hidden', '-fPIC', '-shared', '-std=gnu11', '-I', include, '-o', output, ...sources];
  // macOS resolves Node-API symbols from the host process at load time.
  if (process.platform === 'darwin') args.unshift('-undefined', 'dynamic_lookup');
  const compile = (argv) => execFileSync(cc, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
  let used = args;
  try {
    compile(args);
  } catch (e) {
    fs.rmSync(output, { force: true });
    if (e.code === 'ENOENT') return skip(`no C compiler (${cc} not found)`);
    // A compiler that does not know -march=native for this CPU still builds portable code.
    used = args.filter((a) => a !== '-march=native');
    try {
      compile(used);
    } catch {
      fs.rmSync(output, { force: true });
      return skip(`${cc} failed: ${String(e.stderr ?? e.message).trim()}`);
    }
  }
  fs.writeFileSync(log, `${cc} ${used.join(' ')}\n`);
  return output;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildNative();
