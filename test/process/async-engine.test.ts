/**
 * The async engine against real processes and threads: the event loop stays free while
 * acquires wait, abandoned waits leave nothing behind, exits are never held up, worker
 * threads exclude each other, and one instance's concurrent calls keep `held()` exact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockAbortError, LockCanceledError, LockClosedError, LocksFile, LockTimeoutError, waiterPool } from 'locksfile';
import { type LineChild, spawnNode } from '../helpers/children';
import { kernelLocks, untilKernel } from '../helpers/kernel-locks';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir();
let lockPath: string;
const children: LineChild[] = [];

function owner(): Promise<LineChild> {
  const child = spawnNode(fixture('owner'), [lockPath]);
  children.push(child);
  return child.takeLine().then((line) => {
    expect(line).toMatch(/^ready \d+$/);
    return child;
  });
}

function engine(...args: string[]): LineChild {
  const child = spawnNode(fixture('engine'), [...args]);
  children.push(child);
  return child;
}

const threads = (): number => fs.readdirSync('/proc/self/task').length;
const fds = (): number => fs.readdirSync('/proc/self/fd').length;

/**
 * Waits until no waiter thread of this JS thread has work, then retires the idle ones: after
 * it, the pool has no thread at all, so a thread count taken now is a baseline that only
 * the code under test can raise. Used before a baseline and again before the comparison.
 */
async function quiesce(): Promise<void> {
  await waiterPool.onIdle();
  await waiterPool.trim();
  expect(waiterPool.threads).toBe(0);
}

/** Blocked OFD requests the kernel lists on the lock file now. */
const blockedInKernel = (): number => kernelLocks(lockPath).filter((l) => l.blocked && l.kind === 'OFDLCK').length;

beforeEach(() => {
  lockPath = path.join(scratch(), 'test.lock');
});

afterEach(() => {
  children.splice(0);
});

test('16 pending acquires leave the event loop and the libuv pool free', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 16 w')).toBe('ok');
  const lf = new LocksFile(lockPath);
  const pending = Array.from({ length: 16 }, (_, i) => lf.acquire(i, { write: true }));
  pending.forEach((p) => p.catch(() => undefined)); // a failed expectation must not leave unhandled rejections
  await untilKernel(lockPath, () => blockedInKernel() === 16, '16 blocked requests'); // all 16 wait in the kernel
  // Median of 5 samples: a loaded CI machine may stall one, a blocked loop or pool stalls all.
  const timerDelays: number[] = [];
  const readDelays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 0));
    timerDelays.push(performance.now() - t0);
    const t1 = performance.now();
    await fs.promises.readFile(__filename);
    readDelays.push(performance.now() - t1);
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[2] ?? Infinity;
  expect(median(timerDelays)).toBeLessThan(20);
  expect(median(readDelays)).toBeLessThan(50);
  expect(await holder.ask('release')).toBe('ok');
  expect(await Promise.all(pending)).toEqual(Array(16).fill(true));
  expect(lf.held()).toEqual([{ start: 0, count: 16, write: true }]);
  expect(await holder.ask('try 15 1 r')).toBe('busy'); // write locks in the kernel, as held() says
  lf.close();
});

test('40 pending acquires: 32 wait in the kernel, 8 queue, and the release grants all 40', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 40 w')).toBe('ok');
  await quiesce();
  const lf = new LocksFile(lockPath);
  const pending = Array.from({ length: 40 }, (_, i) => lf.acquire(i, { write: true, timeout: 30_000 }));
  pending.forEach((p) => p.catch(() => undefined));
  await untilKernel(lockPath, () => blockedInKernel() === 32, '32 blocked requests');
  expect(waiterPool.waiting).toBe(32);
  expect(waiterPool.queued).toBe(8);
  // The queue never overflows into the kernel: never more than 32 blocked over a while (a
  // waiter's 50 ms re-arm tick can take one out of the kernel for an instant, so a sample
  // may see 31, never 33).
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 10));
    samples.push(blockedInKernel());
  }
  expect(Math.max(...samples)).toBe(32);
  expect(waiterPool.waiting).toBe(32);
  expect(waiterPool.threads).toBe(32);
  expect(await holder.ask('release')).toBe('ok');
  expect(await Promise.all(pending)).toEqual(Array(40).fill(true));
  expect(lf.held()).toEqual([{ start: 0, count: 40, write: true }]);
  // All 40 are write locks in the kernel, the queued ones (32..39) included.
  expect(await holder.ask('try 0 1 r')).toBe('busy');
  expect(await holder.ask('try 39 1 r')).toBe('busy');
  expect(JSON.parse(await holder.ask('probe 0 40 r'))).toEqual({ start: 0, count: 40, write: true, pid: -1 });
  lf.close();
  expect(await holder.ask('try 0 40 w')).toBe('ok');
  await quiesce();
});

test('a timed-out or aborted wait leaves nothing held, nothing granted later, no thread or fd', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 4 w')).toBe('ok');
  await quiesce();
  const threadsBefore = threads();
  const fdsBefore = fds();
  const lf = new LocksFile(lockPath);
  expect(await lf.acquire([0, 4], { write: true, timeout: 50 })).toBe(false);
  const ac = new AbortController();
  const aborted = lf.acquire([1, 2], { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('stop')), 30);
  const err = await aborted.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LockAbortError);
  expect((err as LockAbortError).name).toBe('AbortError');
  expect(((err as LockAbortError).cause as Error).message).toBe('stop');
  expect(lf.held()).toEqual([]);
  expect(await holder.ask('release')).toBe('ok');
  // The holder's release must not hand the range to either abandoned waiter.
  await new Promise((r) => setTimeout(r, 100));
  expect(await holder.ask('try 0 4 w')).toBe('ok');
  expect(lf.held()).toEqual([]);
  lf.close();
  await quiesce();
  expect(threads()).toBe(threadsBefore);
  expect(fds()).toBe(fdsBefore);
});

test('an already-aborted signal rejects without touching the kernel', async () => {
  // The observer: POSIX record locks belong to the process, so an instance of this process
  // that locked a range and gave it back would also remove what another instance of this
  // process holds there. `keeper` holds 0..1; a child process looks whether it still does.
  const keeper = new LocksFile(lockPath, { backend: 'posix' });
  const lf = new LocksFile(lockPath, { backend: 'posix' });
  expect(keeper.acquireSync([0, 2], { write: true, timeout: 1000 })).toBe(true);
  const observer = await owner();
  // The observer can see a touch: lf locks and gives back index 1, and keeper's lock there is gone.
  expect(lf.acquireSync(1, { write: true, blocking: false })).toBe(true);
  lf.release(1);
  expect(await observer.ask('try 1 1 w')).toBe('ok');
  expect(await observer.ask('release')).toBe('ok');
  const ac = new AbortController();
  ac.abort('early');
  const threadsBefore = threads();
  await expect(lf.acquire(0, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError', cause: 'early' });
  await expect(lf.acquire(0, { write: true, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError', cause: 'early' });
  expect(lf.held()).toEqual([]);
  expect(threads()).toBe(threadsBefore); // no waiter thread started either
  // keeper's lock on 0 is intact: nothing locked and gave back index 0.
  expect(JSON.parse(await observer.ask('probe 0 1 r'))).toEqual({ start: 0, count: 1, write: true, pid: process.pid });
  lf.close();
  keeper.close();
});

test('cancel storm: 2,000 timed-out or aborted acquires each settle once, then the range is free', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 1 w')).toBe('ok');
  const lf = new LocksFile(lockPath);
  const outcomes = await Promise.all(
    Array.from({ length: 2000 }, (_, i) => {
      const delay = i % 3; // 0-2 ms
      if (i % 2 === 0) {
        return lf.acquire(0, { write: true, timeout: delay }).then(
          (v) => (v === false ? 'timeout' : 'granted'),
          () => 'error',
        );
      }
      const ac = new AbortController();
      setTimeout(() => ac.abort(), delay);
      return lf.acquire(0, { write: true, signal: ac.signal }).then(
        () => 'granted',
        (e: unknown) => (e instanceof LockAbortError ? 'aborted' : 'error'),
      );
    }),
  );
  expect(outcomes.filter((o) => o === 'timeout')).toHaveLength(1000);
  expect(outcomes.filter((o) => o === 'aborted')).toHaveLength(1000);
  expect(lf.held()).toEqual([]);
  expect(await holder.ask('release')).toBe('ok');
  const other = new LocksFile(lockPath);
  expect(await other.acquire(0, { write: true, timeout: 2000 })).toBe(true);
  other.close();
  expect(await lf.acquire(0, { write: true, timeout: 5000 })).toBe(true);
  lf.close();
});

test('process.exit() with untimed acquires pending returns within 1 s', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 4 w')).toBe('ok');
  const child = engine('exit-pending', lockPath);
  expect(await child.takeLine()).toBe('waiting');
  const t0 = Date.now();
  expect((await child.waitExit()).code).toBe(0);
  expect(Date.now() - t0).toBeLessThan(1000);
});

test('a process whose only work was a timed-out acquire exits by itself', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 1 w')).toBe('ok');
  const child = engine('timed-out', lockPath);
  expect(await child.takeLine()).toBe('result false');
  expect((await child.waitExit()).code).toBe(0);
});

test('a pending untimed acquire keeps the process alive until granted', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 1 w')).toBe('ok');
  const child = engine('untimed', lockPath);
  expect(await child.takeLine()).toBe('waiting');
  let exited = false;
  void child.waitExit(60_000).then(() => (exited = true));
  await new Promise((r) => setTimeout(r, 500));
  expect(exited).toBe(false);
  expect(await holder.ask('release')).toBe('ok');
  expect(await child.takeLine()).toBe('granted');
  expect((await child.waitExit()).code).toBe(0);
});

test('worker threads, each with its own LocksFile, exclude each other', async () => {
  const child = engine('workers', lockPath, '4', '300');
  expect(await child.takeLine()).toBe('counter 1200 expected 1200');
  expect((await child.waitExit()).code).toBe(0);
});

test('a worker terminated mid-wait leaves nothing held and does not hang the process', async () => {
  const child = engine('terminate', lockPath);
  expect(await child.takeLine()).toBe('after-terminate probe null');
  expect(await child.takeLine()).toBe('other acquires true');
  expect((await child.waitExit()).code).toBe(0);
});

describe('concurrent calls on one instance', () => {
  test('overlapping acquires apply in call order: the last one wins', async () => {
    const holder = await owner();
    expect(await holder.ask('lock 0 4 r')).toBe('ok');
    const lf = new LocksFile(lockPath);
    const write = lf.acquire([0, 4], { write: true }); // waits: the holder reads
    const read = lf.acquire([2, 4]); // overlaps: applied after the write
    const released = new Promise((r) => setTimeout(r, 50)).then(() => holder.ask('release'));
    expect(await write).toBe(true);
    expect(await read).toBe(true);
    expect(await released).toBe('ok');
    expect(lf.held()).toEqual([
      { start: 0, count: 2, write: true },
      { start: 2, count: 4, write: false },
    ]);
    // The kernel agrees: another process can read 2..5 but not 0..1, and write none of them.
    expect(await holder.ask('try 1 1 r')).toBe('busy');
    expect(await holder.ask('try 5 1 w')).toBe('busy');
    expect(await holder.ask('try 2 4 r')).toBe('ok');
    lf.close();
  });

  test('disjoint acquires wait independently', async () => {
    const holder = await owner();
    expect(await holder.ask('lock 0 1 w')).toBe('ok');
    const lf = new LocksFile(lockPath);
    const blocked = lf.acquire(0, { write: true });
    expect(await lf.acquire(5, { write: true, timeout: 1000 })).toBe(true);
    expect(lf.held()).toEqual([{ start: 5, count: 1, write: true }]);
    expect(await holder.ask('release')).toBe('ok');
    expect(await blocked).toBe(true);
    expect(lf.held()).toEqual([
      { start: 0, count: 1, write: true },
      { start: 5, count: 1, write: true },
    ]);
    // The kernel agrees: another process can read neither.
    expect(await holder.ask('try 0 1 r')).toBe('busy');
    expect(await holder.ask('try 5 1 r')).toBe('busy');
    lf.close();
  });

  test('release during a pending overlapping acquire cancels it and keeps held() exact', async () => {
    const holder = await owner();
    expect(await holder.ask('lock 3 1 w')).toBe('ok');
    const lf = new LocksFile(lockPath);
    expect(lf.acquireSync([0, 3], { write: false })).toBe(true);
    const upgrade = lf.acquire([0, 4], { write: true });
    lf.release([1, 1]);
    await expect(upgrade).rejects.toBeInstanceOf(LockCanceledError);
    expect(lf.held()).toEqual([
      { start: 0, count: 1, write: false },
      { start: 2, count: 1, write: false },
    ]);
    expect(await holder.ask('release')).toBe('ok');
    // The kernel agrees with held(): another owner can write 1 and 3 but not 0 or 2.
    expect(await holder.ask('try 1 1 w')).toBe('ok');
    expect(await holder.ask('try 3 1 w')).toBe('ok');
    expect(await holder.ask('try 0 1 w')).toBe('busy');
    expect(await holder.ask('try 2 1 w')).toBe('busy');
    lf.close();
  });

  test('close() during pending acquires rejects them and releases everything', async () => {
    const holder = await owner();
    expect(await holder.ask('lock 0 2 w')).toBe('ok');
    const lf = new LocksFile(lockPath);
    expect(lf.acquireSync(7, { write: true })).toBe(true);
    const a = lf.acquire(0, { write: true });
    const b = lf.acquire([0, 2]);
    lf.close();
    await expect(a).rejects.toBeInstanceOf(LockClosedError);
    await expect(b).rejects.toBeInstanceOf(LockClosedError);
    expect(() => lf.held()).toThrow(LockClosedError);
    expect(await holder.ask('try 7 1 w')).toBe('ok');
    expect(await holder.ask('release')).toBe('ok');
    await new Promise((r) => setTimeout(r, 100));
    expect(await holder.ask('try 0 2 w')).toBe('ok');
  });

  test('a sync acquire overlapping an async one in flight is refused, not interleaved', async () => {
    const holder = await owner();
    expect(await holder.ask('lock 0 1 w')).toBe('ok');
    const lf = new LocksFile(lockPath);
    const pending = lf.acquire(0, { write: true });
    expect(() => lf.acquireSync(0)).toThrow(expect.objectContaining({ code: 'ERR_LOCK_BUSY' }));
    expect(await holder.ask('release')).toBe('ok');
    expect(await pending).toBe(true);
    lf.close();
  });
});

test('lock() and withLock(): handles release exactly their range; timeouts reject typed', async () => {
  const holder = await owner();
  const lf = new LocksFile(lockPath);
  {
    await using handle = await lf.lock([0, 4], { write: true });
    expect(handle.count).toBe(4);
    expect(await holder.ask('try 2 1 r')).toBe('busy');
  }
  expect(lf.held()).toEqual([]);
  const result = await lf.withLock(3, { write: true }, async () => {
    expect(lf.held()).toEqual([{ start: 3, count: 1, write: true }]);
    return 42;
  });
  expect(result).toBe(42);
  await expect(lf.withLock(3, undefined, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(lf.held()).toEqual([]);
  expect(await holder.ask('lock 9 1 w')).toBe('ok');
  await expect(lf.lock(9, { timeout: 30 })).rejects.toBeInstanceOf(LockTimeoutError);
  await expect(lf.lock(9, { blocking: false })).rejects.toMatchObject({ code: 'ERR_LOCK_BUSY' });
  lf.close();
});

test('hand-over is driven by the release, not a poll interval', async () => {
  const holder = await owner();
  const lf = new LocksFile(lockPath);
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    expect(await holder.ask('lock 0 1 w')).toBe('ok');
    const granted = lf.acquire(0, { write: true });
    await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    holder.send('release');
    await granted;
    samples.push(performance.now() - t0);
    await holder.takeLine();
    lf.release(0);
  }
  samples.sort((x, y) => x - y);
  // Includes the pipe round trip to the holder; a 50 ms poll would put the median far above.
  expect(samples[15]).toBeLessThan(10);
  lf.close();
});

test('acquireSync with a timeout leaves nothing held and no thread or fd behind', async () => {
  const holder = await owner();
  expect(await holder.ask('lock 0 1 w')).toBe('ok');
  await quiesce();
  const threadsBefore = threads();
  const fdsBefore = fds();
  const lf = new LocksFile(lockPath);
  const t0 = performance.now();
  expect(lf.acquireSync(0, { write: true, timeout: 80 })).toBe(false);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(79);
  expect(lf.held()).toEqual([]);
  lf.close();
  await quiesce();
  expect(threads()).toBe(threadsBefore);
  expect(fds()).toBe(fdsBefore);
  expect(await holder.ask('release')).toBe('ok');
  expect(await holder.ask('try 0 1 w')).toBe('ok');
});
