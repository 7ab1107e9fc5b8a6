/**
 * The command process that cli/supervisor.ts starts: runs the command, and reports each
 * temporary output file on fd 3 ('+path' before it is created, '-path' once it is renamed
 * or removed) so that the supervisor can remove it if it has to kill this process, and ends
 * when the supervisor does.
 */
import fs from 'node:fs';
import { watchTemporaries } from '../util/atomic-write.js';
import { main } from './main.js';

const LEDGER_FD = 3;

function ledgerOpen(): boolean {
  try {
    return fs.fstatSync(LEDGER_FD).isFIFO() || fs.fstatSync(LEDGER_FD).isSocket();
  } catch {
    return false;
  }
}

if (ledgerOpen()) {
  watchTemporaries((event, tmp) => {
    try {
      // A synchronous write: it must be on record before the file exists.
      fs.writeSync(LEDGER_FD, `${event === 'open' ? '+' : '-'}${tmp}\n`);
    } catch {
      // The supervisor is gone: nothing would read the record.
    }
  });
}
// The supervisor is gone (killed by SIGKILL, which it cannot pass on): end as a SIGTERM would,
// removing the temporaries, as soon as the event loop turns. The channel itself keeps nothing
// alive.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
void main(process.argv);
