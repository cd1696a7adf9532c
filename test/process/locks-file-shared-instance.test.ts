/**
 * One `LocksFile` shared by concurrent async code (issue 9): the three scenarios of its
 * "Why" reproduced exactly, then request-scoped handles, mixing handles with the owner scope,
 * call order under abandonment, and the sync deadline across a reopen. Other owners are real
 * child processes; what the kernel holds is always observed from one of them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockBusyError, type LockHandle } from 'locksfile';
import { killAll, type LineChild, spawnNode, spawnPython } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';
import { track } from '../helpers/track';
import { useLocksFiles } from '../helpers/instances';

/** Hang guard for hand-overs that take milliseconds. */
const BOUND_MS = 5000;

const scratch = useScratchDir();
let lockPath: string;
const open = useLocksFiles(() => lockPath);

/** Another owner in its own process (see test/fixtures/owner.ts). */
async function owner(file = lockPath): Promise<LineChild> {
  const child = spawnNode(fixture('owner'), [file]);
  expect(await child.takeLine()).toMatch(/^ready \d+$/);
  return child;
}

const turn = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  lockPath = path.join(scratch(), 'shared.lock');
});

afterEach(async () => {
  await killAll();
});

describe('the three scenarios of issue 9', () => {
  test('three concurrent withLock(5, { write: true }) calls on one instance never overlap inside fn', async () => {
    const lf = open();
    const inside: string[] = [];
    const log: string[] = [];
    const critical = (name: string) => async (): Promise<void> => {
      inside.push(name);
      log.push(`${name} in with ${inside.length - 1} others`);
      await turn(15);
      inside.splice(inside.indexOf(name), 1);
    };
    await Promise.all(['a', 'b', 'c'].map((name) => lf.withLock(5, { write: true }, critical(name))));
    expect(log).toEqual(['a in with 0 others', 'b in with 0 others', 'c in with 0 others']); // and in call order
    expect(lf.held()).toEqual([]);
  });

  test('4 processes x 8 tasks sharing one instance each, 40 increments per task under withLock: exact', async () => {
    const counterPath = path.join(scratch(), 'counter.txt');
    fs.writeFileSync(counterPath, '0'.padStart(16, '0'));
    const children = [0, 1, 2, 3].map(() => spawnNode(fixture('lf-shared'), [lockPath, counterPath, '8', '40']));
    for (const c of children) expect(await c.takeLine()).toBe('ready');
    for (const c of children) c.send('go');
    for (const c of children) expect(await c.takeLine(undefined, 60_000)).toBe('done 1'); // never two tasks of one process inside
    for (const c of children) expect(await c.waitExit()).toEqual({ code: 0, signal: null });
    expect(Number.parseInt(fs.readFileSync(counterPath, 'latin1'), 10)).toBe(4 * 8 * 40);
  });

  test('a second lock([2, 4], { write: true }) is not granted while a first handle holds [0, 4) write', async () => {
    const lf = open();
    const first = await lf.lock([0, 4], { write: true });
    const second = track(lf.lock([2, 4], { write: true }));
    await turn(50);
    expect(second.state()).toBe('pending');
    await expect(lf.lock([3, 1], { write: true, blocking: false })).rejects.toBeInstanceOf(LockBusyError);
    first.release();
    await second.done;
    expect(second.value()).toMatchObject({ start: 2, count: 4, write: true });
    const other = await owner();
    expect(await other.ask('try 0 2 w')).toBe('ok'); // the first handle's part is free
    expect(await other.ask('try 2 1 r')).toBe('busy'); // the second handle's is not
    (second.value() as LockHandle).release();
    expect(await other.ask('try 2 4 w')).toBe('ok');
  });

  test("no hold-and-wait: B's write on [0, 5) with a 2 s timeout succeeds while A waits for read on [0, 10)", async () => {
    const a = open();
    const b = await owner();
    expect(a.acquireSync(5, { write: true })).toBe(true);
    expect(await b.ask('lock 6 4 w')).toBe('ok');
    const aRead = track(a.acquire([0, 10]));
    await turn(500); // long enough for A's waiter thread to start and reach the kernel
    expect(aRead.state()).toBe('pending');
    expect(await b.ask('alock 0 5 w 2000')).toBe('started');
    expect(await b.takeLine(undefined, BOUND_MS)).toBe('async ok');
    expect(aRead.state()).toBe('pending');
    expect(a.held()).toEqual([{ start: 5, count: 1, write: true }]); // A kept its write lock, took nothing else
    expect(await b.ask('release')).toBe('ok');
    await aRead.done;
    expect(aRead.value()).toBe(true);
    expect(a.held()).toEqual([{ start: 0, count: 10, write: false }]);
    expect(await b.ask('try 5 1 r')).toBe('ok'); // 5 was converted to read
  });
});

describe('no hold-and-wait', () => {
  /** Asks `child` to try `command` until it answers ok (a give-back happens just after a grant). */
  async function takes(child: LineChild, command: string): Promise<boolean> {
    const until = performance.now() + BOUND_MS;
    while (performance.now() < until) {
      if ((await child.ask(command)) === 'ok') return true;
      await turn(10);
    }
    return false;
  }

  test('a read over own write locks waits part by part, giving each part back before the next wait', async () => {
    const a = open();
    const b = await owner();
    const c = await owner();
    expect(a.acquireSync(5, { write: true })).toBe(true);
    expect(await b.ask('lock 6 4 w')).toBe('ok');
    const aRead = track(a.acquire([0, 10]));
    await turn(300);
    expect(await c.ask('try 0 2 w')).toBe('ok'); // A keeps nothing of [0, 5) while it waits
    expect(await b.ask('release')).toBe('ok'); // A gets [6, 10), finds [0, 2) taken, gives [6, 10) back
    expect(await takes(b, 'try 6 4 w')).toBe(true);
    expect(await c.ask('release')).toBe('ok'); // A gets [0, 5), finds [6, 10) taken, gives [0, 5) back
    expect(await takes(c, 'try 0 5 w')).toBe(true);
    expect(aRead.state()).toBe('pending');
    expect(a.held()).toEqual([{ start: 5, count: 1, write: true }]);
    expect(await c.ask('release')).toBe('ok');
    expect(await b.ask('release')).toBe('ok');
    await aRead.done;
    expect(aRead.value()).toBe(true);
    expect(a.held()).toEqual([{ start: 0, count: 10, write: false }]);
    expect(await c.ask('try 0 10 r')).toBe('ok');
    expect(await c.ask('try 0 1 w')).toBe('busy');
  });
});

describe('handles are request scopes', () => {
  test('overlapping read handles share; each release frees only what no other handle still holds', async () => {
    const lf = open();
    const other = await owner();
    const h1 = await lf.lock([0, 4]);
    const h2 = await lf.lock([2, 4]);
    expect(lf.held()).toEqual([{ start: 0, count: 6, write: false }]);
    h1.release();
    expect(lf.held()).toEqual([{ start: 2, count: 4, write: false }]);
    expect(await other.ask('try 0 2 w')).toBe('ok');
    expect(await other.ask('try 2 1 w')).toBe('busy'); // h2 still holds 2..5 in the kernel
    h1.release(); // idempotent: must not touch h2
    expect(await other.ask('try 3 1 w')).toBe('busy');
    h2.release();
    expect(await other.ask('try 2 4 w')).toBe('ok');
  });

  test('queued handle requests are granted in call order: writer, then readers together, then writer', async () => {
    const lf = open();
    const order: string[] = [];
    const first = await lf.lock(1, { write: true });
    const grants = [
      lf.lock(1).then((h) => order.push('r1') && h),
      lf.lock(1).then((h) => order.push('r2') && h),
      lf.lock(1, { write: true }).then((h) => order.push('w') && h),
    ];
    await turn(20);
    expect(order).toEqual([]);
    first.release();
    await turn(20);
    // r2 waits behind r1 only; both reads are in, the writer waits for both.
    expect(order).toEqual(['r1', 'r2']);
    const [r1, r2] = (await Promise.all(grants.slice(0, 2))) as LockHandle[];
    r1.release();
    await turn(20);
    expect(order).toEqual(['r1', 'r2']);
    r2.release();
    const w = (await grants[2]) as LockHandle;
    expect(order).toEqual(['r1', 'r2', 'w']);
    expect(lf.held()).toEqual([{ start: 1, count: 1, write: true }]);
    w.release();
  });

  test('lockSync over a conflicting handle throws LockBusyError at once; a shared read is fine', async () => {
    const lf = open();
    const h = await lf.lock([0, 4]);
    const t0 = performance.now();
    expect(() => lf.lockSync(2, { write: true })).toThrow(LockBusyError);
    expect(() => lf.lockSync(2, { write: true, timeout: 1000 })).toThrow(LockBusyError);
    expect(performance.now() - t0).toBeLessThan(500);
    const r = lf.lockSync([3, 3]);
    h.release();
    expect(lf.held()).toEqual([{ start: 3, count: 3, write: false }]);
    const { release } = r; // works detached, e.g. as a callback
    release();
    expect(lf.held()).toEqual([]);
  });
});

describe('mixing the owner scope and handles', () => {
  test('they exclude each other like separate owners; sync calls throw LockBusyError instead of waiting', async () => {
    const lf = open();
    const other = await owner();
    expect(lf.acquireSync([0, 4], { write: true })).toBe(true);
    const handle = track(lf.lock(2));
    expect(() => lf.lockSync(2)).toThrow(LockBusyError); // an async request on 2 is in flight
    await turn(20);
    expect(handle.state()).toBe('pending');
    lf.release([0, 4]);
    await handle.done;
    expect(lf.held()).toEqual([{ start: 2, count: 1, write: false }]);
    // The owner scope may share the handle's read lock, but not convert it to write.
    expect(lf.acquireSync([2, 2])).toBe(true);
    expect(() => lf.acquireSync(2, { write: true })).toThrow(LockBusyError);
    expect(lf.acquireSync(2, { write: true, blocking: false })).toBe(false);
    expect(await lf.acquire(2, { write: true, timeout: 30 })).toBe(false);
    // Releasing the handle leaves the owner scope's read on 2..3 in the kernel, and vice versa.
    (handle.value() as LockHandle).release();
    expect(await other.ask('try 2 1 w')).toBe('busy');
    expect(lf.held()).toEqual([{ start: 2, count: 2, write: false }]);
    lf.release();
    expect(await other.ask('try 0 4 w')).toBe('ok');
  });

  test('release() of the owner scope keeps handles and does not cancel handle requests', async () => {
    const lf = open();
    const other = await owner();
    expect(await other.ask('lock 9 1 w')).toBe('ok');
    const h = await lf.lock([0, 2], { write: true });
    const waiting = track(lf.lock(9));
    lf.acquireSync(5);
    lf.release();
    expect(lf.held()).toEqual([{ start: 0, count: 2, write: true }]);
    expect(await other.ask('release')).toBe('ok');
    await waiting.done;
    expect(waiting.state()).toBe('resolved');
    h.release();
    (waiting.value() as LockHandle).release();
    expect(lf.held()).toEqual([]);
  });
});

describe('call order under abandonment', () => {
  test('a later request does not start while an earlier one waits, when the one between them times out', async () => {
    const other = await owner();
    for (let round = 0; round < 5; round++) {
      const lf = open();
      expect(await other.ask('lock 0 1 w')).toBe('ok');
      const order: string[] = [];
      const first = lf.acquire(0, { write: true }).then((v) => order.push(`first:${v}`));
      const middle = lf.acquire([0, 2], { write: true, timeout: 30 }).then((v) => order.push(`middle:${v}`));
      const last = lf.acquire(0).then((v) => order.push(`last:${v}`));
      await middle;
      await turn(20);
      expect(order).toEqual(['middle:false']);
      expect(await other.ask('release')).toBe('ok');
      await Promise.all([first, last]);
      expect(order).toEqual(['middle:false', 'first:true', 'last:true']);
      expect(lf.held()).toEqual([{ start: 0, count: 1, write: false }]); // the last one wins
      expect(await other.ask('try 0 1 r')).toBe('ok');
      expect(await other.ask('release')).toBe('ok');
      lf.close();
    }
  });

  test('the same when the request between them is cancelled by a release', async () => {
    const other = await owner();
    const lf = open();
    expect(await other.ask('lock 0 1 w')).toBe('ok');
    const order: string[] = [];
    const first = lf.acquire(0, { write: true }).then((v) => order.push(`first:${v}`));
    const middle = lf.acquire([0, 2]).catch((e: Error) => order.push(`middle:${e.name}`));
    const last = lf.acquire(0).then((v) => order.push(`last:${v}`));
    await turn(20);
    lf.release(1); // overlaps only the middle request
    await middle;
    await turn(20);
    expect(order).toEqual(['middle:LockCanceledError']);
    expect(await other.ask('release')).toBe('ok');
    await Promise.all([first, last]);
    expect(order).toEqual(['middle:LockCanceledError', 'first:true', 'last:true']);
    expect(lf.held()).toEqual([{ start: 0, count: 1, write: false }]);
  });

  test('the same when the request between them is aborted', async () => {
    const other = await owner();
    const lf = open();
    expect(await other.ask('lock 0 1 w')).toBe('ok');
    const order: string[] = [];
    const ac = new AbortController();
    const first = lf.lock(0, { write: true }).then((h) => order.push('first') && h);
    const middle = lf.lock([0, 2], { signal: ac.signal }).catch((e: Error) => order.push(`middle:${e.name}`));
    const last = lf.lock(0, { write: true }).then((h) => order.push('last') && h);
    await turn(20);
    ac.abort();
    await middle;
    await turn(20);
    expect(order).toEqual(['middle:AbortError']);
    expect(await other.ask('release')).toBe('ok');
    const h1 = (await first) as LockHandle;
    await turn(20);
    expect(order).toEqual(['middle:AbortError', 'first']);
    h1.release();
    ((await last) as LockHandle).release();
    expect(order).toEqual(['middle:AbortError', 'first', 'last']);
  });
});

test('acquireSync keeps one deadline across a reopen of a replaced file', async () => {
  const fresh = path.join(scratch(), 'fresh.lock');
  const onFresh = await owner(fresh);
  expect(await onFresh.ask('lock 0 1 w')).toBe('ok'); // whoever gets the replacement file finds 0 taken
  // A pylocksfile-style holder of the current file that, 150 ms later, moves the fresh file
  // over the path and exits (its lock on the old file goes with it).
  fs.writeFileSync(lockPath, '');
  const swapper = spawnPython(
    'import fcntl, os, sys, time\n' +
      'fd = os.open(sys.argv[1], os.O_RDWR)\n' +
      'fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0)\n' +
      'print("ready", flush=True)\n' +
      'time.sleep(0.15)\n' +
      'os.rename(sys.argv[2], sys.argv[1])\n',
    [lockPath, fresh],
  );
  expect(await swapper.takeLine()).toBe('ready');
  const lf = open();
  const t0 = performance.now();
  expect(lf.acquireSync(0, { write: true, timeout: 400 })).toBe(false);
  const took = performance.now() - t0;
  expect(took).toBeGreaterThanOrEqual(399);
  // Restarting the timeout after the reopen would take 150 + 400 ms.
  expect(took).toBeLessThan(520);
  expect(lf.held()).toEqual([]);
  expect(await onFresh.ask('release')).toBe('ok');
  expect(lf.acquireSync(0, { write: true, blocking: false })).toBe(true); // on the file now at the path
});
