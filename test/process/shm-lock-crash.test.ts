/**
 * Crash safety across real processes: a holder killed with SIGKILL leaves a file behind, but
 * no dead lock. A waiting acquire recovers it at once, a later try-once acquire too, and of
 * several waiters exactly one breaks it (they then take turns, never two at a time). Time
 * bounds are loose hang guards (10x headroom), not latency claims.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ShmLock } from 'locksfile';
import { Counters, endShmTest, type ShmTest, startHolder, startShmTest } from '../helpers/shm-driver';
import { untilKernel } from '../helpers/kernel-locks';

let dir: string;
let name: string;
let lock: ShmLock;
let shm: ShmTest;

beforeEach(() => ({ dir, name, lock } = shm = startShmTest('locksfile-test', 'shm-lock-crash-')));
afterEach(() => endShmTest(shm));

test('a holder killed with SIGKILL is recovered by a waiting acquire well under a second', async () => {
  const { child, uuid } = await startHolder(name, 'hold');
  expect(lock.debugGetUuidOfLockingLock()).toBe(uuid);
  expect(await lock.acquire(false)).toBe(false);
  const waiting = lock.acquire(10_000);
  await untilKernel(lock.path, (locks) => locks.some((l) => l.blocked), 'our blocked wait'); // waits in the kernel
  const t0 = performance.now();
  child.kill('SIGKILL');
  expect(await waiting).toBe(true);
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
  lock.queryForErrorAfterInterrupt();
});

test('the file of a holder that died before anyone waited is recovered by a try-once acquire', async () => {
  const { child, uuid } = await startHolder(name, 'hold');
  child.kill('SIGKILL');
  await child.exited;
  expect(lock.debugGetUuidOfLockingLock()).toBe(uuid); // left behind
  expect(lock.acquireSync(false)).toBe(true);
  expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
});

test('3 waiting processes after a SIGKILLed holder: exactly one removes its file, each acquires once, never two at a time', async () => {
  const { child } = await startHolder(name, 'hold');
  // Each holds for 30 ms between reading and writing the counter: an overlap loses a count.
  // `fair: false`, so that all three race to break the file (a fair queue lets only its head
  // try; see shm-lock-fair.test.ts for that case).
  const counters = new Counters(name, path.join(dir, 'counter'), ['async', 'sync', 'async'], 1, 30, false);
  await counters.ready();
  counters.go();
  // All three really wait on the holder's kernel lock (the sync one in slices of pollInterval).
  await untilKernel(lock.path, (locks) => locks.filter((l) => l.blocked).length === 3, '3 blocked waiters');
  child.kill('SIGKILL');
  expect(await counters.finish()).toBe(3);
  // Exactly one of them removed the dead holder's file; the others found it gone or taken.
  expect(counters.broke.reduce((a, b) => a + b, 0)).toBe(1);
  expect(fs.existsSync(lock.path)).toBe(false);
});
