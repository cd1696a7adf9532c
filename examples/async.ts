/**
 * The async API: waiting without blocking the event loop, timeouts, AbortSignal,
 * `withLock` and `await using`.
 *
 *   node test/.build/examples/async.js [lock file]
 *
 * Two instances in one process are two owners: they exclude each other exactly like two
 * processes, which lets this example show waiting without starting another process.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { LockBusyError, LocksFile, LockTimeoutError } from 'locksfile';

const lockPath = process.argv[2] ?? path.join(os.tmpdir(), 'locksfile-async-example.lock');

async function main(): Promise<void> {
  await using alice = new LocksFile(lockPath, { id: 'alice' });
  await using bob = new LocksFile(lockPath, { id: 'bob' });

  // Alice writes lock 7 for a moment.
  alice.acquireSync(7, { write: true });
  setTimeout(() => alice.release(7), 50);

  // Bob waits for it; the event loop keeps running meanwhile.
  const ticker = setInterval(() => console.log('  (event loop still running)'), 20);
  const t0 = performance.now();
  await bob.acquire(7, { write: true });
  clearInterval(ticker);
  console.log(`bob got lock 7 after ${Math.round(performance.now() - t0)} ms`);

  // A bounded wait: false (acquire) or LockTimeoutError (lock) when it runs out.
  console.log(`alice, read lock 7 within 30 ms: ${await alice.acquire(7, { timeout: 30 })}`);
  try {
    await alice.lock(7, { timeout: 30 });
  } catch (err) {
    if (err instanceof LockTimeoutError) console.log(`alice.lock: ${err.code}`);
  }
  // Without waiting at all: false (acquire) or LockBusyError (lock).
  try {
    await alice.lock(7, { blocking: false });
  } catch (err) {
    if (err instanceof LockBusyError) console.log(`alice.lock without waiting: ${err.code}`);
  }

  // Cancel a wait from outside with an AbortSignal.
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('user gave up')), 30);
  try {
    await alice.acquire(7, { write: true, signal: ac.signal });
  } catch (err) {
    console.log(`alice's wait aborted: ${(err as Error).name} (${((err as Error).cause as Error).message})`);
  }
  bob.release(7);

  // withLock: holds the range for the duration of the callback, releases even on a throw.
  const total = await alice.withLock([0, 4], { write: true }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return 4 * 10;
  });
  console.log(`withLock returned ${total}; alice holds ${JSON.stringify(alice.held())}`);

  // await using: released at the end of the block.
  {
    await using _handle = await bob.lock([0, 4]);
    console.log(`bob holds ${JSON.stringify(bob.held())}`);
  }
  console.log(`after the block bob holds ${JSON.stringify(bob.held())}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
