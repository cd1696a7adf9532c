/**
 * `addExitHandlers()` in real processes: a holder that sends itself SIGTERM or SIGINT, calls
 * `process.exit()`, or drops a held instance for the garbage collector leaves the lock free
 * (its file deleted, so even a Python shmlock waiter can take it), and the signal keeps its
 * default outcome. Without the handlers the file stays behind, and a ShmLock still recovers it.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { ShmLock } from 'locksfile';
import { startHolder } from '../helpers/shm-driver';
import { killAll } from '../helpers/children';

let name: string;
let lock: ShmLock;

beforeEach(() => {
  name = `locksfile-test-${randomUUID()}`;
  lock = new ShmLock(name);
});

afterEach(async () => {
  await killAll();
  lock.release(true);
  fs.rmSync(lock.path, { force: true });
});

/** Runs the holder fixture in `mode` until it ends; returns how it ended and what it printed. */
async function runHolder(mode: string, nodeFlags: readonly string[] = []): Promise<{ code: number | null; signal: NodeJS.Signals | null; uuid: string; lines: readonly string[] }> {
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

test('garbage collection of a held instance: released', async () => {
  const result = await runHolder('gc', ['--expose-gc']);
  expect(result).toMatchObject({ code: 0, signal: null });
  expect(result.lines).toContain('file gone');
  expect(fs.existsSync(lock.path)).toBe(false);
});

test('without exit handlers the file stays behind, and the next ShmLock acquire recovers it', async () => {
  const result = await runHolder('exit-nohooks');
  expect(result).toMatchObject({ code: 0, signal: null });
  expect(lock.debugGetUuidOfLockingLock()).toBe(result.uuid);
  expect(await lock.acquire(false)).toBe(true);
  expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
});
