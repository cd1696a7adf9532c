/**
 * The waiter pool against a real holder process: requests queued beyond the thread limit
 * settle when they time out, abort or their instance closes; a sporadic contended wait finds
 * a warm thread; waits leave no kernel timer behind; the pool's public view reports threads
 * and pending work and can be drained without sleeping.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LockAbortError, LockClosedError, LocksFile, waiterPool } from 'locksfile';
import { killAll, type LineChild, spawnNode } from '../helpers/children';
import { fixture, ROOT, tmpDir } from '../helpers/paths';

let dir: string;
let lockPath: string;

/** Another process holding `[start, start + count)` in write mode. */
async function holder(start: number, count: number): Promise<LineChild> {
  const child = spawnNode(fixture('owner'), [lockPath]);
  expect(await child.takeLine()).toMatch(/^ready \d+$/);
  expect(await child.ask(`lock ${start} ${count} w`)).toBe('ok');
  return child;
}

/** Milliseconds until `promise` settles, whatever the outcome. */
async function settleTime(promise: Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await promise.then(
    () => undefined,
    () => undefined,
  );
  return performance.now() - t0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  dir = tmpDir();
  lockPath = path.join(dir, 'test.lock');
});

afterEach(async () => {
  await killAll();
  await waiterPool.trim();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('requests queued beyond the 32 waiter threads', () => {
  test('a timed-out or aborted request behind 40 untimed waiters settles at once', async () => {
    const child = await holder(0, 64);
    const lf = new LocksFile(lockPath);
    const untimed = Array.from({ length: 40 }, (_, i) => lf.acquire(i, { write: true }));
    untimed.forEach((p) => p.catch(() => undefined));
    await sleep(50);
    expect(waiterPool.waiting).toBe(32);
    expect(waiterPool.queued).toBe(8);
    const timed = lf.acquire(40, { write: true, timeout: 100 });
    const ac = new AbortController();
    const aborted = lf.acquire(41, { write: true, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const [timedMs, abortedMs] = await Promise.all([settleTime(timed), settleTime(aborted)]);
    expect(await timed).toBe(false);
    await expect(aborted).rejects.toBeInstanceOf(LockAbortError);
    // Due at 100 and 50 ms; the bound only catches a request that never settles.
    expect(timedMs).toBeLessThan(1000);
    expect(abortedMs).toBeLessThan(1000);
    expect(waiterPool.queued).toBe(8);
    expect(await child.ask('release')).toBe('ok');
    expect(await Promise.all(untimed)).toEqual(Array(40).fill(true));
    await waiterPool.onIdle();
    expect(lf.held()).toEqual([{ start: 0, count: 40, write: true }]);
    lf.close();
  });

  test('close() settles 100 untimed waiters and leaves no waiter thread behind', async () => {
    await holder(0, 100);
    const lf = new LocksFile(lockPath);
    const pending = Array.from({ length: 100 }, (_, i) => lf.acquire(i, { write: true }));
    const outcomes = Promise.allSettled(pending);
    await sleep(50);
    expect(waiterPool.waiting + waiterPool.queued).toBe(100);
    const t0 = performance.now();
    lf.close();
    const settled = await outcomes;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(settled.every((s) => s.status === 'rejected' && s.reason instanceof LockClosedError)).toBe(true);
    await waiterPool.onIdle();
    expect(waiterPool.waiting).toBe(0);
    expect(waiterPool.queued).toBe(0);
    await waiterPool.trim();
    expect(waiterPool.threads).toBe(0);
  });
});

test('waiterPool: threads start on demand, onIdle() waits for the grant, trim() ends idle threads', async () => {
  await waiterPool.trim();
  expect(waiterPool.threads).toBe(0);
  const tasks = fs.readdirSync('/proc/self/task').length;
  await waiterPool.onIdle(); // nothing pending: resolves at once
  const child = await holder(0, 1);
  const lf = new LocksFile(lockPath);
  const pending = lf.acquire(0, { write: true });
  let idle = false;
  const idleNow = waiterPool.onIdle().then(() => (idle = true));
  await sleep(50);
  expect(waiterPool.threads).toBe(1);
  expect(waiterPool.waiting).toBe(1);
  expect(idle).toBe(false);
  expect(await child.ask('release')).toBe('ok');
  expect(await pending).toBe(true);
  await idleNow;
  expect(waiterPool.waiting).toBe(0);
  expect(waiterPool.threads).toBe(1); // kept warm
  await waiterPool.trim();
  expect(waiterPool.threads).toBe(0);
  expect(fs.readdirSync('/proc/self/task').length).toBe(tasks);
  lf.close();
});

test('a contended acquire after 1.5 s idle finds a warm waiter: granted soon after the release', async () => {
  const child = await holder(0, 1);
  const lf = new LocksFile(lockPath);
  // First use starts the thread; then the process is idle longer than the old 1 s linger.
  const first = lf.acquire(0, { write: true });
  expect(await child.ask('release')).toBe('ok');
  expect(await first).toBe(true);
  lf.release(0);
  expect(await child.ask('lock 0 1 w')).toBe('ok');
  await sleep(1500);
  expect(waiterPool.threads).toBe(1);
  const granted = lf.acquire(0, { write: true });
  await sleep(2);
  const t0 = performance.now();
  child.send('release');
  expect(await granted).toBe(true);
  // Budget 5 ms (bench/sporadic.ts measures it); 10x headroom plus the pipe to the holder.
  expect(performance.now() - t0).toBeLessThan(60);
  lf.close();
});

test('worker threads that used acquireSync with a timeout leave no POSIX timer behind', async () => {
  const timers = (): number => fs.readFileSync('/proc/self/timers', 'utf8').split('\n').filter((l) => l.startsWith('ID:')).length;
  await holder(0, 1);
  const before = timers();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { LocksFile } = require(workerData.lib);
    const lf = new LocksFile(workerData.lockPath);
    parentPort.postMessage(lf.acquireSync(0, { write: true, timeout: 20 }));
    lf.close();`;
  for (let i = 0; i < 5; i++) {
    const worker = new Worker(code, { eval: true, workerData: { lib: path.join(ROOT, 'dist', 'index.js'), lockPath } });
    const result = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(result).toBe(false);
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  expect(timers()).toBe(before);
});
