// Test instrument, preloaded with `node --import`: in the command's process (src/cli/child.ts,
// not the supervisor), once the command has started, prints a marker on stderr and then spins
// in synchronous code for ten seconds, where no JavaScript signal handler can run. This makes
// "a signal arrives during synchronous work" certain, however fast the real work is on the
// machine. Nothing of this ships with snnc.
if (process.argv[1]?.includes('child')) {
  setImmediate(() => {
    process.stderr.write('test-hook: spinning\n');
    const endMs = Date.now() + 10_000;
    while (Date.now() < endMs) {
      // Synchronous: only the supervisor can end this process early.
    }
  });
}
