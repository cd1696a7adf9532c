/**
 * The waiter pool against a real holder process: requests queued beyond the thread limit
 * settle when they time out, abort or their instance closes; a sporadic contended wait finds
 * a warm thread; waits leave no kernel timer behind; the pool's public view reports threads
 * and pending work and can be drained without sleeping.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeadlockError, LockAbortError, LockClosedError, LocksFile, LockSystemError, waiterPool } from 'locksfile';
// The pool class itself is internal; its limits are constructor options.
import { WaiterPool } from '../../dist/wait/pool';
import { killAll, type LineChild, spawnNode } from '../helpers/children';
import { fixture, ROOT, tmpDir } from '../helpers/paths';
import { untilBlocked } from '../helpers/kernel-locks';
import { runWorker } from '../helpers/worker-run';

const LIB = path.join(ROOT, 'dist', 'index.js');

let dir: string;
let lockPath: string;

/** Another process holding `[start, start + count)` in write mode. */
async function holder(start: number, count: number, backend: 'ofd' | 'posix' = 'ofd'): Promise<LineChild> {
  const child = spawnNode(fixture('owner'), [lockPath, backend]);
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
  const samples: number[] = [];
  for (let round = 0; round < 2; round++) {
    expect(await child.ask('lock 0 1 w')).toBe('ok');
    await sleep(1500);
    expect(waiterPool.threads).toBe(1);
    const granted = lf.acquire(0, { write: true });
    await sleep(2);
    const t0 = performance.now();
    child.send('release');
    expect(await granted).toBe(true);
    samples.push(performance.now() - t0);
    expect(await child.takeLine()).toBe('ok');
    lf.release(0);
  }
  // Budget 5 ms (bench/sporadic.ts measures it): 10x headroom plus the pipe to the holder,
  // on the better of two rounds so that one scheduling stall on a loaded machine is not a hang.
  expect(Math.min(...samples)).toBeLessThan(60);
  lf.close();
});

describe('untimed acquireSync', () => {
  const blockedChild = (where: 'main' | 'worker'): ChildProcess => {
    const wait = `const lf = new LocksFile(${JSON.stringify(lockPath)}); lf.acquireSync(0, { write: true });`;
    const code =
      where === 'main'
        ? `const { LocksFile } = require(${JSON.stringify(LIB)}); ${wait}`
        : `const { Worker } = require('node:worker_threads');
           const w = new Worker(${JSON.stringify(`const { LocksFile } = require(${JSON.stringify(LIB)}); ${wait}`)}, { eval: true });
           process.stdin.once('data', () => {
             const t0 = Date.now();
             void w.terminate().then(() => { console.log('terminated ' + (Date.now() - t0)); process.stdin.destroy(); });
           });`;
    return spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  };
  const timersOf = (pid: number): number =>
    fs
      .readFileSync(`/proc/${pid}/timers`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('ID:')).length;

  test('on the main thread waits in the kernel without a POSIX timer (nothing there could use its tick)', async () => {
    const held = await holder(0, 1);
    const child = blockedChild('main');
    try {
      await untilBlocked(lockPath, (w) => w.start === 0 && w.write);
      expect(timersOf(child.pid as number)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await held.ask('release')).toBe('ok');
  });

  test('in a worker thread keeps its tick: worker.terminate() gets the thread back from the kernel wait', async () => {
    await holder(0, 1);
    const child = blockedChild('worker');
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await untilBlocked(lockPath, (w) => w.start === 0 && w.write);
    child.stdin?.write('terminate\n');
    // The tick is 50 ms; a thread stuck in the kernel would never terminate (the child would hang).
    const hung = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(hung);
    expect(out).toMatch(/^terminated \d+\n$/);
    expect(Number(/\d+/.exec(out)?.[0])).toBeLessThan(1000);
    expect(code).toBe(0);
  });
});

test('20 worker threads in a row that used acquireSync with a timeout each exit promptly and leave no POSIX timer behind', async () => {
  const timers = (): number =>
    fs
      .readFileSync('/proc/self/timers', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('ID:')).length;
  await holder(0, 1);
  const before = timers();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { LocksFile } = require(workerData.lib);
    const lf = new LocksFile(workerData.lockPath);
    parentPort.postMessage(lf.acquireSync(0, { write: true, timeout: 20 }));
    lf.close();`;
  for (let i = 0; i < 20; i++) {
    // Listeners from the start: under load the worker's message and its exit arrive in one turn.
    const run = await runWorker(code, { lib: path.join(ROOT, 'dist', 'index.js'), lockPath }, 10_000);
    expect(run).toEqual({ messages: [false], code: 0 });
  }
  expect(timers()).toBe(before);
});

describe('errors from a waiter thread keep the failed call and its errno', () => {
  test('EBADF from F_SETLKW (write lock on a read-only descriptor) arrives as LockSystemError', async () => {
    await holder(0, 1);
    const fd = fs.openSync(lockPath, 'r');
    const pool = new WaiterPool();
    try {
      const err = await pool.wait({ fd, backend: 'ofd', write: true, start: 0, count: 1 }).done.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockSystemError);
      expect(err).toMatchObject({ code: 'ERR_LOCK_SYSTEM', syscall: 'fcntl(F_SETLKW)', errno: 'EBADF' });
    } finally {
      await pool.trim();
      fs.closeSync(fd);
    }
  });

  test('EDEADLK seen by an async wait (POSIX backend) arrives as DeadlockError', async () => {
    const child = await holder(1, 1, 'posix');
    const lf = new LocksFile(lockPath, { backend: 'posix' });
    expect(lf.acquireSync(0, { write: true })).toBe(true);
    expect(await child.ask('alock 0 1 w')).toBe('started'); // the child waits for our index 0
    await sleep(200);
    // Our wait for the child's index 1 closes the cycle: the kernel refuses it.
    const err = await lf.acquire(1, { write: true, timeout: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as Error).message).toContain('fcntl(F_SETLKW)');
    lf.close();
    expect(await child.takeLine()).toBe('async ok');
  });
});

test('WaiterPool limits are options: beyond maxWaiters a request queues, and its cancel settles it at once', async () => {
  await holder(0, 2);
  const fd = fs.openSync(lockPath, 'r+');
  const pool = new WaiterPool({ maxWaiters: 1, idleMs: 10, queueRetryMs: 5, warm: 0 });
  const first = pool.wait({ fd, backend: 'ofd', write: true, start: 0, count: 1 });
  const second = pool.wait({ fd, backend: 'ofd', write: true, start: 1, count: 1 });
  expect(pool.waiting).toBe(1);
  expect(pool.queued).toBe(1);
  second.cancel();
  expect(pool.queued).toBe(0);
  expect(await second.done).toBe('stopped');
  first.cancel();
  expect(await first.done).toBe('stopped');
  await pool.onIdle();
  // warm: 0 and idleMs: 10: the thread ends by itself.
  const until = Date.now() + 5000;
  while (pool.threads > 0 && Date.now() < until) await sleep(10);
  expect(pool.threads).toBe(0);
  fs.closeSync(fd);
});

test('process.exit() while waiter threads are still starting exits cleanly (no SIGABRT)', () => {
  // Before: a thread terminated while loading koffi aborted the process (exit 134) about half the time.
  const script = `
    const { LocksFile } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
    const lockPath = process.argv[1];
    new LocksFile(lockPath).acquireSync([0, 8], { write: true });
    const lf = new LocksFile(lockPath);
    for (let i = 0; i < 8; i++) void lf.acquire(i, { write: true });
    setTimeout(() => process.exit(0), Number(process.argv[2]));`;
  for (const delay of [0, 5, 20, 50, 5, 20]) {
    const child = spawnSync(process.execPath, ['-e', script, lockPath, String(delay)], { timeout: 20_000, encoding: 'utf8' });
    expect({ delay, status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ delay, status: 0, signal: null, stderr: '' });
  }
});
