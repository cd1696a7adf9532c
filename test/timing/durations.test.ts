/**
 * Timeouts are milliseconds, everywhere, and last what they say: a timeout of T ms against a
 * holder in another process gives up between 0.9 T and T + 250 ms, for every call that takes
 * one (LocksFile `acquireSync`, `lockSync`, `acquire`, `lock`, `withLock`; ShmLock `acquire`,
 * `acquireSync`, `lock`, `lockSync`, `withLock`, against a ShmLock holder that it waits for
 * in the kernel and against a holder without kernel lock that it polls). The same window
 * bounds ShmLock's `pollInterval` where it still decides the wait: the poll of a holder
 * without kernel lock.
 *
 * The window is chosen so that a timeout taken 10x too long (2,000 ms) or a timer firing 10x
 * too early (20 ms) fails, while 250 ms of slack absorbs a loaded machine. This file runs in
 * the jest project "timing", alone (see jest.config.js), so stress files do not share its cores.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile, LockTimeoutError, ShmLock } from 'locksfile';
import { killAll, type LineChild, spawnNode } from '../helpers/children';
import { untilBlocked } from '../helpers/kernel-locks';
import { fixture, tmpDir } from '../helpers/paths';
import { startHolder } from '../helpers/shm-driver';

const T = 200;
const LOW = 0.9 * T;
const HIGH = T + 250;

let dir: string;
const children: LineChild[] = [];

beforeEach(() => {
  dir = tmpDir('locksfile-durations-');
});

afterEach(async () => {
  children.splice(0);
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Milliseconds `run` took to return or settle, and how it ended. */
async function timed<T>(run: () => T | Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await run();
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

function expectWithinWindow(ms: number): void {
  expect(ms).toBeGreaterThanOrEqual(LOW);
  expect(ms).toBeLessThanOrEqual(HIGH);
}

describe("LocksFile: a timeout of 200 ms against another process's write lock", () => {
  let lockPath: string;
  let lf: LocksFile;

  beforeEach(async () => {
    lockPath = path.join(dir, 'durations.lock');
    const holder = spawnNode(fixture('owner'), [lockPath]);
    children.push(holder);
    expect(await holder.takeLine()).toMatch(/^ready \d+$/);
    expect(await holder.ask('lock 0 1 w')).toBe('ok');
    lf = new LocksFile(lockPath);
  });

  afterEach(() => {
    // Whatever the outcome, nothing is held and no request is left waiting in the kernel.
    expect(lf.held()).toEqual([]);
    lf.close();
  });

  test('acquireSync returns false within the window', async () => {
    const r = await timed(() => lf.acquireSync(0, { write: true, timeout: T }));
    expect(r.value).toBe(false);
    expectWithinWindow(r.ms);
  });

  test('lockSync throws LockTimeoutError within the window', async () => {
    const r = await timed(() => lf.lockSync(0, { timeout: T }));
    expect(r.error).toBeInstanceOf(LockTimeoutError);
    expectWithinWindow(r.ms);
  });

  test('acquire resolves false within the window, after really waiting in the kernel', async () => {
    const pending = timed(() => lf.acquire(0, { write: true, timeout: T }));
    await untilBlocked(lockPath, (w) => w.kind === 'OFDLCK' && w.start === 0 && w.write);
    const r = await pending;
    expect(r.value).toBe(false);
    expectWithinWindow(r.ms);
  });

  test('lock rejects with LockTimeoutError within the window', async () => {
    const r = await timed(() => lf.lock(0, { timeout: T }));
    expect(r.error).toBeInstanceOf(LockTimeoutError);
    expectWithinWindow(r.ms);
  });

  test('withLock rejects with LockTimeoutError within the window and never runs the callback', async () => {
    let ran = false;
    const r = await timed(() => lf.withLock(0, { write: true, timeout: T }, () => (ran = true)));
    expect(r.error).toBeInstanceOf(LockTimeoutError);
    expect(ran).toBe(false);
    expectWithinWindow(r.ms);
  });

  test('a read wait spanning our own write lock gives up within the window too', async () => {
    // The read plan waits for the parts we do not hold in write mode: [1, 2) is ours.
    expect(lf.acquireSync(1, { write: true, timeout: T })).toBe(true);
    const r = await timed(() => lf.acquire([0, 2], { timeout: T }));
    expect(r.value).toBe(false);
    expectWithinWindow(r.ms);
    expect(lf.held()).toEqual([{ start: 1, count: 1, write: true }]);
    lf.release();
  });
});

describe('ShmLock: a timeout of 200 ms against a holder in another process', () => {
  let name: string;
  let lock: ShmLock;

  beforeEach(async () => {
    name = `locksfile-durations-${randomUUID()}`;
    await startHolder(name, 'hold');
    lock = new ShmLock(name);
  });

  afterEach(() => {
    expect(lock.acquired).toBe(false);
    lock.release(true);
  });

  test('acquire resolves false within the window', async () => {
    const r = await timed(() => lock.acquire(T));
    expect(r.value).toBe(false);
    expectWithinWindow(r.ms);
  });

  test('acquireSync returns false within the window', async () => {
    const r = await timed(() => lock.acquireSync(T));
    expect(r.value).toBe(false);
    expectWithinWindow(r.ms);
  });

  test('lock rejects with LockTimeoutError within the window', async () => {
    const r = await timed(() => lock.lock({ timeout: T }));
    expect(r.error).toBeInstanceOf(LockTimeoutError);
    expectWithinWindow(r.ms);
  });

  test('lockSync throws LockTimeoutError within the window', async () => {
    const r = await timed(() => lock.lockSync({ timeout: T }));
    expect(r.error).toBeInstanceOf(LockTimeoutError);
    expectWithinWindow(r.ms);
  });

  test('withLock rejects with LockTimeoutError within the window, without running fn', async () => {
    let ran = false;
    const r = await timed(() => lock.withLock({ timeout: T }, () => (ran = true)));
    expect(r.error).toBeInstanceOf(LockTimeoutError);
    expect(ran).toBe(false);
    expectWithinWindow(r.ms);
  });
});

describe('ShmLock against a holder without kernel lock (a Python shmlock file)', () => {
  let name: string;
  let file: string;

  /** A file as Python's shmlock leaves it while holding: 16 bytes of a version-4 uuid, no kernel lock. */
  function pythonHolds(): void {
    const uuid = randomBytes(16);
    uuid[6] = ((uuid[6] ?? 0) & 0x0f) | 0x40;
    uuid[8] = ((uuid[8] ?? 0) & 0x3f) | 0x80;
    fs.writeFileSync(file, uuid, { flag: 'wx', mode: 0o600 });
  }

  beforeEach(() => {
    name = `durations-${randomUUID()}`;
    file = path.join(dir, name);
    pythonHolds();
  });

  test('acquire and acquireSync give up within the window', async () => {
    const lock = new ShmLock(name, { dir, pollInterval: 50 });
    const async = await timed(() => lock.acquire(T));
    expect(async.value).toBe(false);
    expectWithinWindow(async.ms);
    const sync = await timed(() => lock.acquireSync(T));
    expect(sync.value).toBe(false);
    expectWithinWindow(sync.ms);
    expect(fs.existsSync(file)).toBe(true); // a foreign holder is never broken
  });

  test('pollInterval: a release just after a poll is seen one pollInterval later, not sooner or much later', async () => {
    const lock = new ShmLock(name, { dir, pollInterval: T });
    // The first try happens at once and finds the file; the next one is one pollInterval later.
    const pending = timed(() => lock.acquire(10_000));
    await new Promise((r) => setTimeout(r, 20));
    fs.unlinkSync(file);
    const r = await pending;
    expect(r.value).toBe(true);
    expectWithinWindow(r.ms);
    expect(lock.release()).toBe(true);
  });
});
