// Test instrument, preloaded with `node --import`: the first fsync (an atomic write flushing
// its temporary file) prints a marker on stderr and then spins forever in synchronous code,
// where no JavaScript signal handler can run. Nothing of this ships with snnc.
import fs from 'node:fs';

fs.fsyncSync = function () {
  process.stderr.write('test-hook: stuck in fsync\n');
  for (;;) {
    // Synchronous forever: only the supervisor can end this process.
  }
};
