/**
 * `ShmLock`, a named mutex shared with every process (and Python's shmlock) that uses the
 * same name: the calls shared with `LocksFile` (`lock`, `withLock`, `using`), typed errors,
 * and shmlock's own `acquire`/`release` names.
 *
 *   node test/.build/examples/named-lock.js [name]
 *
 * Two instances of one name exclude each other exactly like two processes, which lets this
 * example show contention without starting another process.
 */
import { LockBusyError, LockTimeoutError, ShmLock } from 'locksfile';

const name = process.argv[2] ?? 'locksfile-named-lock-example';

async function main(): Promise<void> {
  await using alice = new ShmLock(name, { description: 'alice' });
  await using bob = new ShmLock(name, { description: 'bob' });

  // A handle, released when the scope ends.
  {
    await using _held = await alice.lock();
    try {
      await bob.lock({ blocking: false });
    } catch (err) {
      if (err instanceof LockBusyError) console.log(`bob, not waiting: ${err.code}`);
    }
    try {
      await bob.lock({ timeout: 30 });
    } catch (err) {
      if (err instanceof LockTimeoutError) console.log(`bob, waiting 30 ms: ${err.code}`);
    }
  }

  // Scoped: the callback comes last and runs holding the lock.
  const answer = await bob.withLock({ timeout: 1000 }, async () => 42);
  console.log(`bob's withLock returned ${answer}; bob holds it now: ${bob.acquired}`);

  // shmlock's names: acquire(timeout) resolves true/false, release() returns whether it freed.
  if (await alice.acquire(1000)) {
    try {
      console.log(`alice acquired through the shmlock alias; holder uuid ${alice.debugGetUuidOfLockingLock()}`);
    } finally {
      console.log(`alice released: ${alice.release()}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
