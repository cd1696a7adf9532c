/**
 * Fair hand-over between real processes (issue 10): grant ORDER, never timing. Each owner
 * appends its name to a log file while it holds the lock, so the log is the grant order.
 * Waits are bounded loosely (10 s) only to turn a hang into a failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { type LineChild, spawnNode, spawnPython } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

jest.setTimeout(60_000);

const BOUND_MS = 10_000;

const scratch = useScratchDir();
let lockPath: string;
let logPath: string;
const opened: LocksFile[] = [];

beforeEach(() => {
  lockPath = path.join(scratch(), 'fair.lock');
  logPath = path.join(scratch(), 'grants.log');
  fs.writeFileSync(logPath, '');
});

afterEach(() => {
  for (const lf of opened.splice(0)) lf.close();
});

function open(options?: { fair?: boolean }): LocksFile {
  const lf = new LocksFile(lockPath, { fair: true, ...options });
  opened.push(lf);
  return lf;
}

type Mode = 'sync' | 'async';

/** Starts one owner (see test/fixtures/lf-fair.ts) and waits until its file is open. */
async function owner(mode: Mode, name: string, range: [number, number], write: boolean, holdMs = 0, holder = false): Promise<LineChild> {
  const args = [lockPath, mode, String(range[0]), String(range[1]), write ? 'write' : 'read', name, logPath, String(holdMs)];
  const child = spawnNode(fixture('lf-fair'), holder ? [...args, 'holder'] : args);
  await event(child, 'ready');
  return child;
}

async function event(child: LineChild, name: string): Promise<void> {
  await child.takeLine((l) => l.includes(`"event":"${name}"`), BOUND_MS, `event ${name}`);
}

function grants(): string[] {
  return fs
    .readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

async function exitsCleanly(children: readonly LineChild[]): Promise<void> {
  for (const c of children) expect(await c.waitExit(BOUND_MS)).toEqual({ code: 0, signal: null });
}

describe.each<[Mode, Mode]>([
  ['sync', 'async'],
  ['async', 'sync'],
])('holder %s, waiters %s', (holderMode, waiterMode) => {
  test("the holder's immediate re-acquire is granted only after every queued waiter", async () => {
    const holder = await owner(holderMode, 'H', [0, 1], true, 0, true);
    await event(holder, 'granted');
    const waiters: LineChild[] = [];
    for (const name of ['W1', 'W2', 'W3']) {
      const w = await owner(waiterMode, name, [0, 1], true, 5);
      await event(w, 'queued');
      waiters.push(w);
    }
    holder.send('go');
    await exitsCleanly([...waiters, holder]);
    const log = grants();
    expect(log).toHaveLength(4);
    expect(new Set(log.slice(0, 3))).toEqual(new Set(['W1', 'W2', 'W3']));
    expect(log[3]).toBe('H');
  });
});

test('a wide writer queued behind readers is granted before a reader that asked after it', async () => {
  const readers = [open(), open()];
  expect(readers[0]?.acquireSync([3, 1])).toBe(true);
  expect(readers[1]?.acquireSync([10, 1])).toBe(true);
  const wide = await owner('async', 'W', [0, 64], true, 20);
  await event(wide, 'queued');
  // Index 5 is free: without the queue this reader would be granted at once.
  const late = await owner('async', 'R', [5, 1], false);
  const lateSync = await owner('sync', 'S', [40, 1], false);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(grants()).toEqual([]);
  for (const r of readers) r.release();
  await exitsCleanly([wide, late, lateSync]);
  const log = grants();
  expect(log[0]).toBe('W');
  expect(new Set(log.slice(1))).toEqual(new Set(['R', 'S']));
});

test('fair: false keeps barging: a free range is granted although a writer waits for it', async () => {
  const reader = open();
  expect(reader.acquireSync([3, 1])).toBe(true);
  const wide = await owner('async', 'W', [0, 64], true);
  await event(wide, 'queued');
  const barging = open({ fair: false });
  expect(barging.fair).toBe(false);
  expect(barging.acquireSync([5, 1], { blocking: false })).toBe(true);
  const fair = open();
  expect(fair.fair).toBe(true);
  expect(fair.acquireSync([6, 1], { blocking: false })).toBe(false);
  await expect(fair.acquire([7, 1], { timeout: 0 })).resolves.toBe(false);
  barging.release();
  reader.release();
  await exitsCleanly([wide]);
  expect(grants()).toEqual(['W']);
});

describe('SIGKILL leaves nothing stuck', () => {
  test('a queued waiter killed: the other waiters and the holder still get the lock, in queue order', async () => {
    const holder = await owner('async', 'H', [0, 1], true, 0, true);
    await event(holder, 'granted');
    const waiters: LineChild[] = [];
    for (const name of ['W1', 'W2', 'W3']) {
      const w = await owner('sync', name, [0, 1], true, 5);
      await event(w, 'queued');
      waiters.push(w);
    }
    const [w1, w2, w3] = waiters as [LineChild, LineChild, LineChild];
    w2.kill('SIGKILL');
    await w2.exited;
    holder.send('go');
    await exitsCleanly([w1, w3, holder]);
    expect(grants()).toHaveLength(3);
    expect(grants()[2]).toBe('H');
  });

  test('the holder killed: every queued waiter is granted', async () => {
    const holder = await owner('sync', 'H', [0, 1], true, 0, true);
    await event(holder, 'granted');
    const waiters: LineChild[] = [];
    for (const name of ['W1', 'W2']) {
      const w = await owner('async', name, [0, 1], true);
      await event(w, 'queued');
      waiters.push(w);
    }
    holder.kill('SIGKILL');
    await exitsCleanly(waiters);
    expect(new Set(grants())).toEqual(new Set(['W1', 'W2']));
  });

  /**
   * This process holds byte 0; W (`waiterMode`) is queued for [0, 2); C (`closerMode`) asks
   * for byte 1, which is free but W is queued for it: C closes the door and waits for W's
   * batch. Returns once C had time to get there; nobody has been granted yet.
   */
  async function lateComerBehindWaiter(waiterMode: Mode, closerMode: Mode): Promise<{ first: LocksFile; waiter: LineChild; closer: LineChild }> {
    const first = open();
    expect(first.acquireSync([0, 1], { write: true })).toBe(true);
    const waiter = await owner(waiterMode, 'W', [0, 2], true);
    await event(waiter, 'queued');
    const closer = await owner(closerMode, 'C', [1, 1], true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(grants()).toEqual([]);
    return { first, waiter, closer };
  }

  test('a late comer killed while it closes the door: the queue and the range stay usable', async () => {
    const { first, waiter, closer } = await lateComerBehindWaiter('sync', 'async');
    closer.kill('SIGKILL');
    await closer.exited;
    first.release();
    await exitsCleanly([waiter]);
    const next = open();
    await expect(next.acquire([0, 2], { write: true, timeout: BOUND_MS })).resolves.toBe(true);
    expect(grants()).toEqual(['W']);
  });

  test('the queued owner a late comer waits for is killed: the late comer is granted', async () => {
    const { first, waiter, closer } = await lateComerBehindWaiter('async', 'sync');
    waiter.kill('SIGKILL');
    await exitsCleanly([closer]);
    expect(grants()).toEqual(['C']);
    expect(first.held()).toEqual([{ start: 0, count: 1, write: true }]);
  });
  test('chaos: owners SIGKILLed at random points of the protocol never stop the survivors', async () => {
    const loop = async (mode: Mode): Promise<LineChild> => {
      const child = spawnNode(fixture('lf-fair-loop'), [lockPath, mode]);
      await event(child, 'ready');
      return child;
    };
    const survivors = [await loop('sync'), await loop('async')];
    const until = Date.now() + 3000;
    for (let i = 0; Date.now() < until; i++) {
      const victim = await loop(i % 2 === 0 ? 'sync' : 'async');
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 150));
      victim.kill('SIGKILL');
      await victim.exited;
    }
    // Nothing of the dead is left in the way: each survivor keeps being granted.
    for (const s of survivors) {
      const before = s.pending.filter((l) => l.includes('"event":"progress"')).length;
      for (let k = 0; k < before + 3; k++) await event(s, 'progress');
    }
    for (const s of survivors) s.endInput();
    await exitsCleanly(survivors);
  });
});

describe('an owner outside the protocol holds the queue bytes (a POSIX lock to the end of the file)', () => {
  /** Python takes `lockf` over the whole file (length 0: to the end, so also the queue planes at 2^60 and up). */
  async function pythonWholeFile(): Promise<LineChild> {
    const child = spawnPython(
      'import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\nfcntl.lockf(fd, fcntl.LOCK_EX, 0, 0)\nprint("locked")\nsys.stdin.readline()\nfcntl.lockf(fd, fcntl.LOCK_UN, 0, 0)\nprint("unlocked")\nsys.stdin.readline()',
      [lockPath],
    );
    expect(await child.takeLine()).toBe('locked');
    return child;
  }

  test.each<Mode>(['sync', 'async'])('a fair %s request waits unqueued and is granted once it lets go', async (mode) => {
    const py = await pythonWholeFile();
    const lf = open();
    const asked = mode === 'sync' ? Promise.resolve(lf.acquireSync(5, { write: true, timeout: 300 })) : lf.acquire(5, { write: true, timeout: 300 });
    // Refused by the queue, the request still waits for its range and times out like any other.
    expect(await asked).toBe(false);
    const later = lf.acquire(5, { write: true, timeout: BOUND_MS });
    py.send('');
    expect(await py.takeLine()).toBe('unlocked');
    expect(await later).toBe(true);
    expect(lf.held()).toEqual([{ start: 5, count: 1, write: true }]);
    py.endInput();
    expect(await py.waitExit(BOUND_MS)).toEqual({ code: 0, signal: null });
  });
});
