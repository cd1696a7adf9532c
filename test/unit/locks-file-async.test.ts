/**
 * LocksFile in one process, async API: acquire/lock/withLock waiting on another instance,
 * timeouts, AbortSignal, cancellation by release, close while pending, call order of
 * overlapping acquires, `await using`, and that an abandoned wait never leaves anything
 * behind (including the own write locks a read wait spans). Every claim about the kernel
 * is checked through another instance's probe().
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockAbortError, LockBusyError, LockCanceledError, LockClosedError, LocksFile, LockTimeoutError } from 'locksfile';
import { tmpDir } from '../helpers/paths';
import { track } from '../helpers/track';
import { useLocksFiles } from '../helpers/instances';

const W = true;
const R = false;
const seg = (start: number, count: number, write: boolean): { start: number; count: number; write: boolean } => ({ start, count, write });
/** Hang guard for a hand-over or a cancel that takes milliseconds. */
const BOUND_MS = 2000;

let dir: string;
let lockPath: string;
const open = useLocksFiles(() => lockPath);

/** `p`, or a rejection naming `what` when it takes longer than `ms` (a hang guard with a useful message). */
async function within<T>(p: Promise<T>, what: string, ms = BOUND_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `condition` until it holds, failing after `ms`. For what the library settles just
 * after a promise settled (an abandoned wait whose grant won the race is given back then).
 */
async function eventually(condition: () => boolean, what: string, ms = BOUND_MS): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await turn(2);
  }
}

/** Lets pending I/O callbacks, timers and promise jobs run once. */
function turn(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

beforeEach(() => {
  dir = tmpDir();
  lockPath = path.join(dir, 'async.lock');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('waiting', () => {
  test("acquire waits for another owner's release, and the event loop and fs stay free meanwhile", async () => {
    const a = open();
    const b = open();
    a.acquireSync([0, 8], { write: true });
    // More waits than libuv has pool threads: none of them may sit on the pool.
    const waits = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => track(b.acquire(i, { write: i % 2 === 0 })));
    const file = await within(fs.promises.readFile(__filename, 'utf8'), 'fs.promises.readFile while 8 acquires wait');
    expect(file.length).toBeGreaterThan(0);
    await turn(20);
    expect(waits.map((w) => w.state())).toEqual(Array(8).fill('pending'));
    expect(b.held()).toEqual([]);
    a.release([0, 4]);
    await within(Promise.all(waits.slice(0, 4).map((w) => w.done)), 'the 4 acquires whose range was released');
    expect(waits.map((w) => w.state())).toEqual([...Array(4).fill('resolved'), ...Array(4).fill('pending')]);
    expect(b.held()).toEqual([seg(0, 1, W), seg(1, 1, R), seg(2, 1, W), seg(3, 1, R)]);
    a.close();
    await within(Promise.all(waits.map((w) => w.done)), 'the 4 acquires whose holder closed');
    expect(waits.map((w) => w.value())).toEqual(Array(8).fill(true));
    expect(b.held()).toEqual([seg(0, 1, W), seg(1, 1, R), seg(2, 1, W), seg(3, 1, R), seg(4, 1, W), seg(5, 1, R), seg(6, 1, W), seg(7, 1, R)]);
  });

  test('acquires of one instance on overlapping ranges are applied in call order (the last one wins)', async () => {
    const a = open();
    const b = open();
    a.acquireSync(0, { write: true });
    const order: string[] = [];
    const first = b.acquire(0, { write: true }).then((v) => order.push(`write:${v}`));
    const second = b.acquire([0, 2]).then((v) => order.push(`read:${v}`));
    const disjoint = b.acquire(5, { write: true }).then((v) => order.push(`disjoint:${v}`));
    await disjoint;
    expect(order).toEqual(['disjoint:true']);
    a.release();
    await Promise.all([first, second]);
    expect(order).toEqual(['disjoint:true', 'write:true', 'read:true']);
    expect(b.held()).toEqual([seg(0, 2, R), seg(5, 1, W)]);
  });

  test('acquireSync on a range with an async acquire of the same instance in flight -> LockBusyError', async () => {
    const a = open();
    const b = open();
    a.acquireSync(3, { write: true });
    const pending = track(b.acquire([2, 3], { write: true }));
    expect(() => b.acquireSync(4)).toThrow(LockBusyError);
    expect(() => b.lockSync([0, 3])).toThrow(LockBusyError);
    expect(b.acquireSync(5, { write: true })).toBe(true); // disjoint: fine
    a.release();
    await pending.done;
    expect(pending.value()).toBe(true);
    expect(b.held()).toEqual([seg(2, 4, W)]);
  });
});

describe('timeout', () => {
  test('resolves false; nothing is held, now or after the holder releases', async () => {
    const a = open();
    const b = open();
    const c = open();
    a.acquireSync([0, 2], { write: true });
    const t0 = performance.now();
    expect(await b.acquire([1, 2], { write: true, timeout: 30 })).toBe(false);
    expect(performance.now() - t0).toBeLessThan(30 + BOUND_MS);
    expect(b.held()).toEqual([]);
    expect(c.probe(2, { write: true })).toBeNull();
    a.release();
    await eventually(() => c.probe([0, 3], { write: true }) === null, 'nothing held on 0-2 after the holder released');
    await expect(b.lock(1, { timeout: 0 })).resolves.toMatchObject({ start: 1, count: 1, write: false });
  });

  test('timeout 0 and blocking:false answer at once without waiting', async () => {
    const a = open();
    const b = open();
    a.acquireSync(0, { write: true });
    expect(await b.acquire(0, { timeout: 0 })).toBe(false);
    expect(await b.acquire(0, { blocking: false })).toBe(false);
    await expect(b.lock(0, { blocking: false })).rejects.toBeInstanceOf(LockBusyError);
    await expect(b.lock(0, { timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(b.lock(0, { timeout: 20 })).rejects.toMatchObject({ code: 'ERR_LOCK_TIMEOUT' });
    expect(b.held()).toEqual([]);
  });

  test('an abandoned read wait leaves the own write locks it spans in write mode', async () => {
    const a = open();
    const b = open();
    const c = open();
    a.acquireSync([0, 2], { write: true });
    b.acquireSync([2, 2], { write: true });
    expect(await a.acquire([0, 4], { timeout: 30 })).toBe(false);
    expect(a.held()).toEqual([seg(0, 2, W)]);
    expect(c.probe(0)).toEqual({ start: 0, count: 2, write: true, pid: -1 }); // still a write lock in the kernel
    expect(c.probe(1)).not.toBeNull();
    // Granted once b lets go: the whole range in read mode.
    const later = a.acquire([0, 4]);
    b.release();
    expect(await later).toBe(true);
    expect(a.held()).toEqual([seg(0, 4, R)]);
    expect(c.probe([0, 4])).toBeNull();
  });

  test('an abandoned upgrade wait keeps the read lock', async () => {
    const a = open();
    const b = open();
    const c = open();
    a.acquireSync([0, 4]);
    b.acquireSync(2);
    expect(await a.acquire([0, 4], { write: true, timeout: 30 })).toBe(false);
    expect(a.held()).toEqual([seg(0, 4, R)]);
    expect(c.probe([0, 4])).toBeNull(); // no writer
    expect(c.probe(0, { write: true })).toEqual({ start: 0, count: 4, write: false, pid: -1 });
  });
});

describe('AbortSignal', () => {
  test('an already aborted signal rejects at once with AbortError and touches nothing', async () => {
    const a = open();
    const c = open();
    const reason = new Error('stop');
    const err = await a.acquire(0, { write: true, signal: AbortSignal.abort(reason) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LockAbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
    expect(a.held()).toEqual([]);
    expect(c.probe(0, { write: true })).toBeNull();
    await expect(a.lock(0, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    let ran = false;
    await expect(
      a.withLock(0, { signal: AbortSignal.abort() }, () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(ran).toBe(false);
  });

  test('aborting a wait rejects promptly; nothing is held, now or after the holder releases', async () => {
    const a = open();
    const b = open();
    const c = open();
    a.acquireSync(7, { write: true });
    const ac = new AbortController();
    const wait = track(b.acquire([6, 3], { write: true, signal: ac.signal }));
    await turn(20);
    expect(wait.state()).toBe('pending');
    const t0 = performance.now();
    ac.abort('enough');
    await wait.done;
    expect(performance.now() - t0).toBeLessThan(BOUND_MS);
    expect(wait.error()).toMatchObject({ name: 'AbortError', cause: 'enough' });
    expect(b.held()).toEqual([]);
    a.release();
    await eventually(() => c.probe([6, 3], { write: true }) === null, 'nothing held on 6-8 after the holder released');
  });
});

describe('cancellation by release and close', () => {
  test('release() of an overlapping range cancels a pending acquire with LockCanceledError; disjoint ones keep waiting', async () => {
    const a = open();
    const b = open();
    a.acquireSync([0, 10], { write: true });
    const overlapping = track(b.acquire([2, 2], { write: true }));
    const disjoint = track(b.acquire(8));
    await turn(10);
    b.release([3, 5]);
    await overlapping.done;
    expect(overlapping.error()).toBeInstanceOf(LockCanceledError);
    expect(overlapping.error()).toMatchObject({ code: 'ERR_LOCK_CANCELED' });
    expect(disjoint.state()).toBe('pending');
    a.release();
    await disjoint.done;
    expect(disjoint.value()).toBe(true);
    expect(b.held()).toEqual([seg(8, 1, R)]);
    const c = open();
    await eventually(() => c.probe([0, 8], { write: true }) === null, 'nothing of the cancelled request held on 0-7');
  });

  test('release() without a range cancels every pending acquire', async () => {
    const a = open();
    const b = open();
    a.acquireSync([0, 10], { write: true });
    const waits = [1, 5, 9].map((i) => track(b.acquire(i)));
    b.release();
    await Promise.all(waits.map((w) => w.done));
    for (const w of waits) expect(w.error()).toBeInstanceOf(LockCanceledError);
    expect(b.held()).toEqual([]);
  });

  test('close() rejects pending acquires with LockClosedError and leaves nothing held', async () => {
    const a = open();
    const b = new LocksFile(lockPath);
    const c = open();
    a.acquireSync([0, 4], { write: true });
    const waits = [track(b.acquire(1)), track(b.acquire([2, 4], { write: true }))];
    await turn(10);
    b.close();
    await Promise.all(waits.map((w) => w.done));
    for (const w of waits) expect(w.error()).toBeInstanceOf(LockClosedError);
    a.release();
    await eventually(() => c.probe([0, 10], { write: true }) === null, 'nothing of the closed instance held on 0-9');
  });
});

describe('lock(), withLock() and await using', () => {
  test("`await using` releases exactly the handle's range", async () => {
    const a = open();
    const c = open();
    a.acquireSync(0);
    {
      await using h = await a.lock([4, 2], { write: true });
      expect(h).toMatchObject({ start: 4, count: 2, write: true });
      expect(c.probe(5)).not.toBeNull();
    }
    expect(a.held()).toEqual([seg(0, 1, R)]);
    expect(c.probe(5)).toBeNull();
  });

  test("withLock returns the function's value and releases after return, throw and rejection", async () => {
    const a = open();
    const c = open();
    await expect(
      a.withLock([1, 2], { write: true }, () => {
        expect(c.probe(2)).not.toBeNull();
        return 42;
      }),
    ).resolves.toBe(42);
    expect(a.held()).toEqual([]);
    await expect(
      a.withLock(1, undefined, () => {
        throw new Error('sync failure');
      }),
    ).rejects.toThrow('sync failure');
    await expect(a.withLock(1, { write: true }, async () => Promise.reject(new Error('async failure')))).rejects.toThrow('async failure');
    expect(a.held()).toEqual([]);
    expect(c.probe([0, 5], { write: true })).toBeNull();
    // withLock is its own scope: the owner scope's read lock on 9 excludes its write until released.
    a.acquireSync(9);
    const inner = track(a.withLock(9, { write: true }, () => a.held()));
    await turn(20);
    expect(inner.state()).toBe('pending');
    a.release(9);
    await within(inner.done, 'withLock after the owner scope released 9');
    expect(inner.value()).toEqual([seg(9, 1, W)]);
    expect(a.held()).toEqual([]);
  });

  test('withLock waits for the lock and runs the function only once it is held', async () => {
    const a = open();
    const b = open();
    a.acquireSync(3, { write: true });
    let ranWhileBlocked = false;
    const done = b.withLock(3, { write: true }, () => {
      ranWhileBlocked = a.held().length > 0;
      return b.held();
    });
    await turn(10);
    a.release();
    expect(await done).toEqual([seg(3, 1, W)]);
    expect(ranWhileBlocked).toBe(false);
  });
});

describe('after an async acquire has settled, its range is free for sync calls', () => {
  // The promise has settled, so from the caller's side nothing is in flight any more.
  test('after a timeout (resolved false)', async () => {
    const a = open();
    const b = open();
    a.acquireSync(6, { write: true });
    expect(await b.acquire(6, { timeout: 20 })).toBe(false);
    expect(b.acquireSync(6, { blocking: false })).toBe(false);
  });

  test('after an abort (rejected with AbortError)', async () => {
    const a = open();
    const b = open();
    a.acquireSync(6, { write: true });
    const ac = new AbortController();
    const p = b.acquire(6, { signal: ac.signal });
    await turn(10);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(b.acquireSync(6, { blocking: false })).toBe(false);
  });

  test('after a cancel by release (rejected with LockCanceledError)', async () => {
    const a = open();
    const b = open();
    a.acquireSync(6, { write: true });
    const p = b.acquire(6);
    await turn(10);
    b.release(6);
    await expect(p).rejects.toBeInstanceOf(LockCanceledError);
    expect(b.acquireSync(6, { blocking: false })).toBe(false);
  });
});

describe('after an async acquire has settled, nothing of it is visible to other owners', () => {
  // Worst case for the library: the holder releases in the same tick as the abort, so the
  // kernel may grant the abandoned wait before the cancel reaches the waiter thread. The
  // caller has already heard "aborted"; another owner must not find the range taken.
  test('abort and a release by the holder in the same tick (30 tries)', async () => {
    const a = open();
    const b = open();
    const c = open();
    const seenHeld: number[] = [];
    for (let i = 0; i < 30; i++) {
      const index = 100 + i;
      a.acquireSync(index, { write: true });
      const ac = new AbortController();
      const p = b.acquire(index, { write: true, signal: ac.signal });
      await turn(5);
      ac.abort();
      a.release();
      await expect(p).rejects.toMatchObject({ name: 'AbortError' });
      if (c.probe(index, { write: true }) !== null) seenHeld.push(index);
      await eventually(() => c.probe(index, { write: true }) === null, `index ${index} given back`);
    }
    expect(seenHeld).toEqual([]);
  });
});
