/**
 * `addExitHandlers()` in real processes: a holder that sends itself SIGTERM or SIGINT or calls
 * `process.exit()` leaves the lock free (its file deleted, so even a Python shmlock waiter can
 * take it), and the signal keeps its default outcome. A holder that handles SIGTERM itself, or
 * whose instance is garbage-collected inside its critical section, keeps the lock. Without
 * the handlers the file stays behind, and a ShmLock still recovers it.
 */
import * as fs from 'node:fs';
import type { ShmLock } from 'locksfile';
import { endShmTest, type ShmTest, startHolder, startShmTest, tryInChild } from '../helpers/shm-driver';

let name: string;
let lock: ShmLock;
let shm: ShmTest;

beforeEach(() => ({ name, lock } = shm = startShmTest('locksfile-test')));
afterEach(() => endShmTest(shm));

/** Runs the holder fixture in `mode` until it ends; returns how it ended and what it printed. */
async function runHolder(
  mode: string,
  nodeFlags: readonly string[] = [],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; uuid: string; lines: readonly string[] }> {
  const { child, uuid } = await startHolder(name, mode, { nodeFlags });
  const exit = await child.waitExit();
  return { ...exit, uuid, lines: child.pending };
}

test.each([
  ['sigterm', 'SIGTERM'],
  ['sigint', 'SIGINT'],
])('%s: released, then the process still dies by %s', async (mode, signal) => {
  const result = await runHolder(mode);
  expect(result).toMatchObject({ code: null, signal });
  expect(fs.existsSync(lock.path)).toBe(false);
  expect(await lock.acquire(false)).toBe(true);
});

test('a SIGTERM listener of the application keeps control of the outcome', async () => {
  const result = await runHolder('own-sigterm');
  expect(result).toMatchObject({ code: 7, signal: null });
  expect(result.lines).toContain('handled');
  expect(fs.existsSync(lock.path)).toBe(false);
});

test('process.exit() while holding: released', async () => {
  expect(await runHolder('exit')).toMatchObject({ code: 0, signal: null });
  expect(fs.existsSync(lock.path)).toBe(false);
});

test.each([
  ['drain', 'process.on after addExitHandlers'],
  ['drain-once', 'process.once before addExitHandlers'],
])('an application that handles SIGTERM itself (%s: %s) and drains inside its lock keeps the lock until it releases', async (mode) => {
  const { child } = await startHolder(name, mode);
  child.kill('SIGTERM');
  await child.takeLine((l) => l === 'draining');
  // The holder is still working under the lock: nobody else may get in.
  expect(await tryInChild(name)).toBe('try false');
  expect(fs.existsSync(lock.path)).toBe(true);
  child.send('release');
  expect(await child.takeLine()).toBe('released true');
  expect(await tryInChild(name)).toBe('try true');
  child.endInput();
  expect(await child.waitExit()).toMatchObject({ code: 0, signal: null });
});

test('garbage collection of a held instance inside its critical section: still held, released on exit', async () => {
  const { child } = await startHolder(name, 'gc', { nodeFlags: ['--expose-gc'] });
  expect(await child.takeLine((l) => l.startsWith('file '))).toBe('file present');
  // The instance really was collected (the library says so), and the lock is still held.
  expect(child.pending.some((l) => l.startsWith('warn ') && l.includes('garbage-collected while holding'))).toBe(true);
  expect(await tryInChild(name)).toBe('try false');
  child.endInput();
  expect(await child.waitExit()).toMatchObject({ code: 0, signal: null });
  expect(fs.existsSync(lock.path)).toBe(false);
});

test('without exit handlers the file stays behind, and the next ShmLock acquire recovers it', async () => {
  const result = await runHolder('exit-nohooks');
  expect(result).toMatchObject({ code: 0, signal: null });
  expect(lock.debugGetUuidOfLockingLock()).toBe(result.uuid);
  expect(await lock.acquire(false)).toBe(true);
  expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
});
