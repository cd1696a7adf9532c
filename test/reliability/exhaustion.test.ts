/**
 * Resource exhaustion: a process out of file descriptors gets typed errors and works again once
 * descriptors are freed; thousands of instances opened and closed leave no fd or thread behind.
 */
import * as fs from 'node:fs';
import { killAll, LineChild, spawnNode } from '../helpers/children';
import { fixture, tmpDir } from '../helpers/paths';

let dir: string;

beforeAll(() => {
  dir = tmpDir('locksfile-rel-');
});

afterEach(async () => {
  await killAll();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function result(child: LineChild): Promise<Record<string, unknown>> {
  const line = await child.takeLine(() => true, 30_000, 'the result line');
  return JSON.parse(line) as Record<string, unknown>;
}

const typedEmfile = { ok: false, error: expect.objectContaining({ typed: true, code: 'ERR_LOCK_SYSTEM', errno: 'EMFILE' }) };

describe('a process with `ulimit -n 30`', () => {
  let out: Record<string, unknown>;

  beforeAll(async () => {
    const child = new LineChild('bash', ['-c', `ulimit -n 30; exec "${process.execPath}" "${fixture('rel-exhaust')}" emfile "${dir}"`]);
    out = await result(child);
    await child.waitExit();
  }, 60_000);

  test('gets a typed EMFILE error from the constructors (LocksFile, ShmLock acquire), not a crash', () => {
    expect(out.crashed).toBeUndefined();
    expect(out.opened).toBeGreaterThan(0);
    expect(out.ctor).toEqual(typedEmfile);
    expect(out.ctorAgain).toEqual(typedEmfile);
    expect(out.shmAtLimit).toEqual(typedEmfile);
  });

  test('keeps working without new descriptors: sync and immediate async acquires, held()', () => {
    expect(out.syncAcquireAtLimit).toEqual({ ok: true, value: true });
    expect(out.asyncAcquireAtLimit).toEqual({ ok: true, value: true });
    expect(out.heldAtLimit).toEqual({
      ok: true,
      value: [
        { start: 0, count: 2, write: true },
        { start: 3, count: 1, write: true },
      ],
    });
  });

  test('an async acquire that must wait (needs a waiter thread) succeeds or fails with a typed error', () => {
    const wait = out.asyncWaitAtLimit as { ok: boolean; value?: unknown; error?: { typed: boolean } };
    // Either outcome is fine: a timeout (false), or a typed error; never an untyped one, never a hang.
    if (wait.ok) expect(wait.value).toBe(false);
    else expect(wait).toEqual({ ok: false, error: expect.objectContaining({ typed: true }) });
  });

  test('works again once descriptors are freed: constructor, a real wait, ShmLock', () => {
    expect(out.ctorAfterFree).toEqual({ ok: true, value: true });
    expect(out.asyncWaitAfterFree).toEqual({ ok: true, value: true });
    expect(out.shmAfterFree).toEqual({ ok: true, value: true });
  });
});

test('3,000 LocksFile and 300 ShmLock instances opened, used (with waits) and closed leave no fd, thread or file behind', async () => {
  const child = spawnNode(fixture('rel-exhaust'), ['churn', dir, '3000']);
  const out = await result(child);
  expect(out.crashed).toBeUndefined();
  expect(out.fdDiff).toEqual([]);
  expect(out.after).toEqual(out.before);
  expect(out.waits).toBe(300);
  expect(out.leftoverFiles).toEqual([]);
  await child.waitExit();
}, 60_000);
