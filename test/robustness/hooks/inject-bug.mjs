// Test instrument, preloaded with `node --import`: plants a bug where snnc hashes a model
// (crypto.createHash), so that tests can check how internal errors end. SNNC_TEST_BUG picks it:
//   throw      createHash throws a TypeError (an ordinary bug in the command)
//   stray      an exception thrown later from a timer, outside any command's control
//   rejection  a promise rejected that nobody awaits
// Nothing of this ships with snnc.
import crypto from 'node:crypto';

const createHash = crypto.createHash;
const kind = process.env.SNNC_TEST_BUG;
crypto.createHash = function (...args) {
  if (kind === 'throw') throw new TypeError('injected bug');
  if (kind === 'stray') setImmediate(() => { throw new RangeError('injected stray error'); });
  if (kind === 'rejection') void Promise.reject(new Error('injected rejection'));
  return createHash.apply(this, args);
};
