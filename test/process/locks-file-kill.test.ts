/**
 * A process holding locks is SIGKILLed (no exit handler, no close): the kernel drops its
 * locks, and every waiter gets them at once: a blocked async acquire in this process, a
 * blocked acquireSync in this process, and a blocked acquireSync in another process.
 * Bounds are hang guards (2 s for a hand-over that takes milliseconds).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { killAll } from '../helpers/children';
import { untilKernel } from '../helpers/kernel-locks';
import { startAgent } from '../helpers/lf-agent';
import { tmpDir } from '../helpers/paths';

const HANDOVER_BOUND_MS = 2000;

let dir: string;
const opened: LocksFile[] = [];

beforeEach(() => {
  dir = tmpDir();
});

afterEach(async () => {
  for (const lf of opened.splice(0)) lf.close();
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(lockPath: string): LocksFile {
  const lf = new LocksFile(lockPath);
  opened.push(lf);
  return lf;
}

test('SIGKILL of the holder: pending async acquires here and a sync wait in another process get the locks promptly', async () => {
  const lockPath = path.join(dir, 'kill.lock');
  const holder = await startAgent(lockPath);
  expect((await holder.acquire([0, 15], true)).granted).toBe(true);
  expect((await holder.acquire([20, 5], false)).granted).toBe(true);

  const lf = open(lockPath);
  expect(lf.probe([0, 10], { write: true })).toEqual({ start: 0, count: 15, write: true, pid: -1 });
  expect(lf.probe([20, 5], { write: true })).toEqual({ start: 20, count: 5, write: false, pid: -1 });
  let settled = 0;
  const writeWait = lf.acquire([0, 10], { write: true }).finally(() => settled++);
  const upgradeOverRead = lf.acquire([20, 5], { write: true }).finally(() => settled++);
  // Another process waits with acquireSync (it is blocked in the kernel).
  const other = await startAgent(lockPath, 'sync');
  const otherWait = await other.acquire([10, 5], false);
  expect(otherWait).toMatchObject({ granted: false, probe: { start: 0, count: 15, write: true, pid: -1 } });

  // Still waiting after a round trip to both children.
  expect(await holder.held()).toEqual([
    { start: 0, count: 15, write: true },
    { start: 20, count: 5, write: false },
  ]);
  expect(settled).toBe(0);
  expect(lf.held()).toEqual([]);
  expect(other.isGranted(otherWait.id)).toBe(false);
  // All three waits really sit in the kernel (ours on two waiter threads, the other process's
  // on its main thread) when the holder dies.
  await untilKernel(lockPath, (locks) => locks.filter((l) => l.blocked).length === 3, 'three blocked requests');

  const killedAt = performance.now();
  holder.child.kill('SIGKILL');
  expect(await Promise.all([writeWait, upgradeOverRead])).toEqual([true, true]);
  expect(performance.now() - killedAt).toBeLessThan(HANDOVER_BOUND_MS);
  expect(await other.granted(otherWait.id, HANDOVER_BOUND_MS)).toEqual([{ start: 10, count: 5, write: false }]);
  expect(performance.now() - killedAt).toBeLessThan(HANDOVER_BOUND_MS);
  expect((await holder.child.exited).signal).toBe('SIGKILL');

  expect(lf.held()).toEqual([
    { start: 0, count: 10, write: true },
    { start: 20, count: 5, write: true },
  ]);
  expect(await other.probe([0, 10], false)).toEqual({ start: 0, count: 10, write: true, pid: -1 });
});

test('SIGKILL of the holder while this thread is blocked in acquireSync: it returns true promptly', async () => {
  const lockPath = path.join(dir, 'kill-sync.lock');
  const holder = await startAgent(lockPath);
  expect((await holder.acquire([5, 1], true)).granted).toBe(true);
  const lf = open(lockPath);
  expect(lf.acquireSync(5, { write: true, blocking: false })).toBe(false);
  await holder.dieIn(100);
  const t0 = performance.now();
  // Blocks this thread until the kernel drops the dead holder's lock (timeout: hang guard).
  expect(lf.acquireSync(5, { write: true, timeout: 10_000 })).toBe(true);
  expect(performance.now() - t0).toBeLessThan(100 + HANDOVER_BOUND_MS);
  expect((await holder.child.exited).signal).toBe('SIGKILL');
  expect(lf.held()).toEqual([{ start: 5, count: 1, write: true }]);
});
