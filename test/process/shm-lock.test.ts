/**
 * ShmLock across real processes, in the default directory (/dev/shm): a 4-process counter
 * race, timeouts and reentrancy against another process, and hand-over. Time bounds are
 * loose hang guards (10x headroom), not latency claims.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShmLock } from 'locksfile';
import { Counters, endShmTest, type ShmTest, startHolder, startShmTest, tryInChild } from '../helpers/shm-driver';
import { untilKernel } from '../helpers/kernel-locks';

let dir: string;
let name: string;
let lock: ShmLock;
let shm: ShmTest;

beforeEach(() => ({ dir, name, lock } = shm = startShmTest('locksfile-test', 'shm-lock-process-')));
afterEach(() => endShmTest(shm));

test('counter race: 4 processes (2 sync, 2 async) x 150 increments are exact', async () => {
  const counters = new Counters(name, path.join(dir, 'counter'), ['sync', 'async', 'sync', 'async'], 150, 0);
  await counters.ready();
  counters.go();
  expect(await counters.finish()).toBe(600);
  expect(fs.existsSync(lock.path)).toBe(false);
});

test('timeouts against a holder in another process: false/0 try once, true is 1 s, a number is ms', async () => {
  const { child } = await startHolder(name, 'hold');
  let t0 = performance.now();
  expect(await lock.acquire(false)).toBe(false);
  expect(await lock.acquire(0)).toBe(false);
  expect(lock.acquireSync(false)).toBe(false);
  expect(performance.now() - t0).toBeLessThan(500);
  t0 = performance.now();
  expect(await lock.acquire(200)).toBe(false);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  t0 = performance.now();
  expect(lock.acquireSync(150)).toBe(false);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  t0 = performance.now();
  expect(await lock.acquire(true)).toBe(false);
  const elapsed = performance.now() - t0;
  expect(elapsed).toBeGreaterThanOrEqual(990);
  expect(elapsed).toBeLessThan(10_000);
  child.send('release');
  expect(await child.takeLine()).toBe('released true');
  expect(lock.acquireSync(false)).toBe(true);
});

test('reentrancy seen from another process: the lock stays held until the last release', async () => {
  expect(await lock.acquire()).toBe(true);
  expect(await lock.acquire()).toBe(true);
  expect(lock.release()).toBe(false);
  expect(await tryInChild(name)).toBe('try false');
  expect(lock.release()).toBe(true);
  expect(await tryInChild(name)).toBe('try true');
});

test('hand-over: a waiting acquire and acquireSync get the lock as soon as the other process releases', async () => {
  const slowPoll = new ShmLock(name, { pollInterval: 5000 });
  const first = await startHolder(name, 'hold');
  const waiting = slowPoll.acquire(10_000);
  await untilKernel(lock.path, (locks) => locks.some((l) => l.blocked), 'our blocked wait'); // asleep in the kernel, not between polls
  let t0 = performance.now();
  first.child.send('release');
  expect(await waiting).toBe(true);
  expect(performance.now() - t0).toBeLessThan(1000); // kernel wake-up; 5 s polling would fail this
  expect(slowPoll.release()).toBe(true);

  const second = await startHolder(name, 'hold');
  second.child.send('release 200'); // acquireSync blocks this thread: the child releases by itself
  await new Promise((r) => setTimeout(r, 50));
  t0 = performance.now();
  expect(slowPoll.acquireSync(10_000)).toBe(true);
  expect(performance.now() - t0).toBeLessThan(1500);
  expect(slowPoll.release()).toBe(true);
});
