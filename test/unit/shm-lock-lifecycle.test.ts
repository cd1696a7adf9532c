/**
 * ShmLock's lifecycle: `close()` (and `using`) frees everything an instance put outside
 * itself: the lock, the process listeners of `addExitHandlers()`, and the listener its exit
 * event keeps on a caller's AbortSignal. Listener counts return to their baseline.
 */
import { randomUUID } from 'node:crypto';
import { getEventListeners, setMaxListeners } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitEvent, LockClosedError, ShmLock } from 'locksfile';
import { kernelLocks } from '../helpers/kernel-locks';
import { tmpDir } from '../helpers/paths';

let dir: string;

beforeEach(() => {
  dir = tmpDir('shm-lock-life-');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const EVENTS = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function processListeners(): Record<string, number> {
  return Object.fromEntries(EVENTS.map((e) => [e, process.listenerCount(e)]));
}

test('close() removes the exit hooks and the exit event listener of each instance: counts return to baseline', async () => {
  const trigger = new AbortController();
  setMaxListeners(30, trigger.signal); // 20 on purpose: the test counts them
  const before = processListeners();
  const abortBefore = getEventListeners(trigger.signal, 'abort').length;
  const locks = Array.from({ length: 20 }, () => new ShmLock(`lock-${randomUUID()}`, { dir, exitEvent: trigger.signal }));
  for (const lock of locks) lock.addExitHandlers();
  expect(await locks[0]?.acquire()).toBe(true);
  expect(getEventListeners(trigger.signal, 'abort').length).toBe(abortBefore + 20);
  for (const e of EVENTS) expect(process.listenerCount(e)).toBe((before[e] ?? 0) + 1);
  for (const lock of locks.slice(0, 19)) lock.close();
  // One instance still wants the process listeners.
  for (const e of EVENTS) expect(process.listenerCount(e)).toBe((before[e] ?? 0) + 1);
  locks[19]?.close();
  expect(processListeners()).toEqual(before);
  expect(getEventListeners(trigger.signal, 'abort').length).toBe(abortBefore);
  // Closing released the held lock.
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('using: leaving the scope closes the instance and releases its lock', async () => {
  const name = `lock-${randomUUID()}`;
  const before = processListeners();
  {
    using lock = new ShmLock(name, { dir });
    lock.addExitHandlers();
    expect(await lock.acquire()).toBe(true);
    expect(fs.existsSync(lock.path)).toBe(true);
  }
  expect(processListeners()).toEqual(before);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('a timed-out wait leaves no listener on the exit event', async () => {
  const event = new ExitEvent();
  const holder = new ShmLock('busy', { dir });
  const waiter = new ShmLock('busy', { dir, exitEvent: event });
  expect(await holder.acquire()).toBe(true);
  expect(await waiter.acquire(30)).toBe(false);
  expect(getEventListeners(event.signal, 'abort')).toHaveLength(0);
  holder.close();
  waiter.close();
});

test('a caller-owned ExitEvent stays usable after the instance closes; one the instance made from a signal stops listening', () => {
  const event = new ExitEvent();
  new ShmLock('a', { dir, exitEvent: event }).close();
  event.set();
  expect(event.isSet()).toBe(true);
  const trigger = new AbortController();
  const own = new ShmLock('b', { dir, exitEvent: trigger.signal });
  const made = own.getExitEvent();
  own.close();
  trigger.abort();
  expect(made.isSet()).toBe(false);
});

test('close() rejects a pending acquire with LockClosedError and later calls throw it; close is idempotent', async () => {
  const holder = new ShmLock('busy', { dir });
  const waiter = new ShmLock('busy', { dir });
  expect(await holder.acquire()).toBe(true);
  const pending = waiter.acquire();
  const kernelWait = new Promise((resolve) => setTimeout(resolve, 50));
  await kernelWait;
  waiter.close();
  await expect(pending).rejects.toThrow(LockClosedError);
  expect(() => waiter.acquireSync(false)).toThrow(LockClosedError);
  await expect(waiter.acquire(false)).rejects.toThrow(LockClosedError);
  waiter.close();
  // The holder kept its lock throughout and the closed waiter left nothing behind but the
  // fair queue's side file its wait created (empty, and with no lock on it).
  expect(holder.debugGetUuidOfLockingLock()).toBe(holder.uuid);
  holder.close();
  expect(fs.readdirSync(dir)).toEqual(['.busy.queue']);
  expect(kernelLocks(path.join(dir, '.busy.queue'))).toEqual([]);
});
