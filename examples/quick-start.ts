/**
 * Quick start: indexed read/write locks in one lock file, with the synchronous API.
 * (The usage example of pylocksfile's README, in TypeScript.)
 *
 *   node test/.build/examples/quick-start.js [lock file]
 *
 * Lock index n is byte n of the lock file. Any process (Node, or Python with
 * fcntl.lockf) that opens the same file takes part: no server, no shared object to pass.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';

const lockPath = process.argv[2] ?? path.join(os.tmpdir(), 'locksfile-quick-start.lock');

// Opens (creates if missing, never truncates) the lock file. One instance = one lock owner.
const lf = new LocksFile(lockPath, { id: 'process_1' });
const show = (step: string): void => console.log(`${step.padEnd(44)} held: ${JSON.stringify(lf.held())}`);

// Lock 0 for reading (shared), waiting while someone else writes it.
lf.acquireSync(0);
show('read lock 0');

// Locks 1, 2, 3 for writing (exclusive): [start, count].
lf.acquireSync([1, 3], { write: true });
show('write locks 1-3');

// Acquiring over our own locks converts them (the last acquire wins): here 2 -> read.
lf.acquireSync(2);
show('lock 2 converted to read');

{
  // A block-scoped lock is a handle: its own scope, which excludes this instance's other
  // locks like another owner would (a handle on 1-3 would throw LockBusyError here).
  using _lock = lf.lockSync(5, { write: true });
  show('inside `using`: handle on 5');
}
// Leaving the block released exactly what the handle covered (lock 5).
show('after the block: 5 released');

// Don't wait: false when another owner holds a conflicting lock.
const free = lf.acquireSync(10, { write: true, blocking: false });
console.log(`write lock 10 without waiting: ${free ? 'acquired' : 'busy'}`);

// Wait at most 100 ms.
const inTime = lf.acquireSync({ start: 20, count: 5 }, { timeout: 100 });
console.log(`read locks 20-24 within 100 ms: ${inTime ? 'acquired' : 'timed out'}`);

// Who would block a write lock on 0-99? (null: nobody; our own locks never block us)
console.log(`probe write 0-99: ${JSON.stringify(lf.probe([0, 100], { write: true }))}`);

lf.release(0); // release lock 0
lf.release([2, 998]); // release everything from 2 to 999 that we hold
show('after releasing 0 and 2-999');
lf.release(); // release everything
show('after release()');

// close() releases whatever is left; the kernel also drops the locks if the process dies.
lf.close();
