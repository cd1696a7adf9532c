/**
 * Every request of a `LocksFile` settles (issue 9, point 2): with 100 untimed waiters on a
 * range another process holds, a request with a timeout still settles soon after its
 * timeout, an aborted one rejects with AbortError at once, `close()` settles all of them, and
 * afterwards nothing is held and no descriptor or waiter thread is left.
 *
 * The disjoint case puts 100 waits in the kernel at once, more than the 32 waiter threads of
 * a JS thread: the timed and the aborted request then sit in the waiter pool's overflow
 * queue (lib/wait/pool.ts), whose cancel is fixed on the "wait" branch.
 *
 * Latency bounds are loose (the 50 ms, times 10) to catch hangs, not to time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockClosedError, type LockHandle, LocksFile, LockTimeoutError } from 'locksfile';
import { killAll, type LineChild, spawnNode } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

const WAITERS = 100;
const SLACK_MS = 500;

const scratch = useScratchDir();
let lockPath: string;

/** Descriptors of this process open on the lock file (waiter threads' own event-loop fds do not count). */
const lockFds = (): number =>
  fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === lockPath;
    } catch {
      return false; // closed meanwhile (e.g. the directory handle readdirSync used)
    }
  }).length;
const threads = (): number => fs.readdirSync('/proc/self/task').length;

async function owner(): Promise<LineChild> {
  const child = spawnNode(fixture('owner'), [lockPath]);
  expect(await child.takeLine()).toMatch(/^ready \d+$/);
  return child;
}

/**
 * How long `p` takes to reject, and with what (an Error saying so when it resolves, or when
 * it has not settled after `boundMs`: the test then fails with that instead of hanging).
 */
async function rejection(p: Promise<unknown>, since: number, boundMs = 10_000): Promise<{ ms: number; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`hang: not settled within ${boundMs} ms`)), boundMs);
  });
  const error = await Promise.race([
    p.then(
      () => new Error('resolved although it should have rejected'),
      (e: unknown) => e,
    ),
    hang,
  ]);
  clearTimeout(timer);
  return { ms: performance.now() - since, error };
}

async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (!condition() && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

beforeEach(() => {
  lockPath = path.join(scratch(), 'settle.lock');
});

afterEach(async () => {
  await killAll();
});

describe.each([
  ['disjoint ranges (100 kernel waits)', (i: number): number => i],
  ['one range (queued in call order)', (): number => 0],
])('100 untimed waiters on %s', (_name, indexOf) => {
  test('a timed request settles after its timeout, an aborted one at once, close() settles the rest, nothing is left', async () => {
    const holder = await owner();
    expect(await holder.ask(`lock 0 ${2 * WAITERS} w`)).toBe('ok');
    const threadsBefore = threads();
    const lf = new LocksFile(lockPath);
    const waiters = Array.from({ length: WAITERS }, (_, i) => (i % 2 === 0 ? lf.lock(indexOf(i), { write: true }) : lf.acquire(indexOf(i), { write: true })));
    const outcomes = waiters.map((p) => rejection(p, 0));
    await new Promise((r) => setTimeout(r, 300)); // let the waits reach the kernel
    const timedIndex = indexOf(WAITERS + 10);
    let t0 = performance.now();
    const timed = await rejection(lf.lock(timedIndex, { write: true, timeout: 100 }), t0, 100 + SLACK_MS);
    expect(timed.error).toBeInstanceOf(LockTimeoutError);
    expect(timed.ms).toBeLessThan(100 + SLACK_MS);
    const ownerTimed = lf.acquire(indexOf(WAITERS + 11), { timeout: 100 });
    expect(await Promise.race([ownerTimed, new Promise((r) => setTimeout(() => r('hang'), 100 + SLACK_MS))])).toBe(false);
    const ac = new AbortController();
    const aborted = lf.lock(indexOf(WAITERS + 12), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    t0 = performance.now();
    ac.abort();
    const abort = await rejection(aborted, t0, 50 + SLACK_MS);
    expect(abort.error).toMatchObject({ name: 'AbortError' });
    expect(abort.ms).toBeLessThan(50 + SLACK_MS);
    lf.close();
    for (const o of await Promise.all(outcomes)) expect(o.error).toBeInstanceOf(LockClosedError);
    expect(await holder.ask('release')).toBe('ok');
    expect(await holder.ask(`try 0 ${2 * WAITERS} w`)).toBe('ok'); // nothing of ours is held
    expect(await eventually(() => lockFds() === 0, 5000)).toBe(true);
    // Idle waiter threads exit after a second; the pool may keep one warm by design.
    expect(await eventually(() => threads() <= threadsBefore + 1, 10_000)).toBe(true);
  });
});

test('100 write handles on one range are granted one at a time in call order, and all settle', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 1 w')).toBe('ok');
  const lf = new LocksFile(lockPath);
  const order: number[] = [];
  let inside = 0;
  const all = Array.from({ length: WAITERS }, (_, i) =>
    lf.withLock(0, { write: true }, async () => {
      expect(++inside).toBe(1);
      order.push(i);
      await new Promise((r) => setImmediate(r));
      inside--;
    }),
  );
  expect(await holder.ask('release')).toBe('ok');
  await Promise.all(all);
  expect(order).toEqual(Array.from({ length: WAITERS }, (_, i) => i));
  expect(lf.held()).toEqual([]);
  const h: LockHandle = await lf.lock(0, { write: true, timeout: 0 });
  h.release();
  lf.close();
});
