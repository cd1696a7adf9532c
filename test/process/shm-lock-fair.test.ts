/**
 * ShmLock's fair queue across real processes (lib/shm-lock/queue.ts): grant order, `fair:
 * false`, SIGKILL at each phase of the queue protocol, and exact counts under races. Order is
 * observed through the kernel (`/proc/locks`: who is asleep on which byte) and through an order
 * file the holders append to, never through timing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockBusyError, ShmLock } from 'locksfile';
import { LineChild } from '../helpers/children';
import { type KernelLock, kernelLocks, untilBlocked, untilKernel } from '../helpers/kernel-locks';
import { fixture } from '../helpers/paths';
import { Counters, endShmTest, queueFile, type ShmTest, startHolder, startShmTest } from '../helpers/shm-driver';

let dir: string;
let name: string;
let lock: ShmLock;
let shm: ShmTest;

beforeEach(() => ({ dir, name, lock } = shm = startShmTest('locksfile-fair', 'shm-lock-fair-')));
afterEach(() => endShmTest(shm));

/** A `shm-queued` child: acquires (fair), then appends `label` to the order file or holds until killed. */
function queued(label: string, api: 'sync' | 'async', then: 'append' | 'hold'): LineChild {
  return new LineChild(process.execPath, [fixture('shm-queued'), name, label, path.join(dir, 'order'), api, then]);
}

/** A wait for the read lock on queue byte `ticket`: the sleep of the waiter right behind that ticket. */
const behind =
  (ticket: number) =>
  (l: KernelLock): boolean =>
    !l.write && l.start === ticket;

/**
 * Queues `labels` one after the other behind the current holder, each asleep in the kernel
 * before the next starts: the first on the holder's file (the head), the others on the ticket
 * before theirs.
 */
async function queueUp(labels: readonly string[], api: 'sync' | 'async'): Promise<LineChild[]> {
  const children: LineChild[] = [];
  for (const [i, label] of labels.entries()) {
    children.push(queued(label, api, 'append'));
    if (i === 0) await untilBlocked(lock.path);
    else await untilBlocked(queueFile(lock.path), behind(i - 1));
  }
  return children;
}

async function finished(children: readonly LineChild[]): Promise<void> {
  for (const child of children) {
    expect(await child.takeLine()).toBe('done');
    expect((await child.waitExit()).code).toBe(0);
  }
}

describe.each(['sync', 'async'] as const)('holder re-acquires at once (%s)', (api) => {
  test('granted only after every queued waiter, and the waiters in arrival order', async () => {
    expect(lock.acquireSync(false)).toBe(true);
    const children = await queueUp(['a', 'b', 'c'], api === 'sync' ? 'async' : 'sync');
    expect(lock.release()).toBe(true);
    if (api === 'sync') expect(lock.acquireSync(10_000)).toBe(true);
    else expect(await lock.acquire(10_000)).toBe(true);
    fs.appendFileSync(path.join(dir, 'order'), 'P');
    expect(lock.release()).toBe(true);
    await finished(children);
    expect(fs.readFileSync(path.join(dir, 'order'), 'latin1')).toBe('abcP');
  });
});

test('a try-once answers busy while someone is queued; fair: false bypasses the queue', async () => {
  const step = new LineChild(process.execPath, [fixture('shm-queue-step'), 'ticket', queueFile(lock.path)]);
  expect(await step.takeLine()).toBe('ready');
  const plain = new ShmLock(name, { fair: false });
  try {
    expect(lock.fair).toBe(true);
    expect(plain.fair).toBe(false);
    expect(lock.acquireSync(false)).toBe(false);
    expect(await lock.acquire(0)).toBe(false);
    await expect(lock.lock({ blocking: false })).rejects.toBeInstanceOf(LockBusyError);
    expect(plain.acquireSync(false)).toBe(true);
    expect(plain.release()).toBe(true);
  } finally {
    plain.close();
  }
  step.kill('SIGKILL');
  await step.waitExit();
  expect(lock.acquireSync(false)).toBe(true);
});

test.each(['sync', 'async'] as const)('a queued acquire that times out (%s) gives its ticket back', async (api) => {
  expect(lock.acquireSync(false)).toBe(true);
  const [a] = await queueUp(['a'], 'async');
  const other = new ShmLock(name);
  try {
    // Queued behind a (ticket 1, asleep on ticket 0) until its timeout.
    expect(api === 'sync' ? other.acquireSync(300) : await other.acquire(300)).toBe(false);
  } finally {
    other.close();
  }
  const tickets = kernelLocks(queueFile(lock.path)).filter((l) => l.write && !l.blocked);
  expect(tickets.map((l) => l.start)).toEqual([0]);
  expect(lock.release()).toBe(true);
  await finished([a].filter((child) => child !== undefined));
  expect(fs.readFileSync(path.join(dir, 'order'), 'latin1')).toBe('a');
});

test('options.fair is validated', () => {
  expect(() => new ShmLock(name, { fair: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});

describe('SIGKILL at each phase of the queue leaves nothing stuck', () => {
  test.each(['ticket', 'watch'] as const)('a waiter killed holding its %s: a later acquire is granted', async (phase) => {
    const step = new LineChild(process.execPath, [fixture('shm-queue-step'), phase, queueFile(lock.path)]);
    expect(await step.takeLine()).toBe('ready');
    const waiting = lock.acquire(10_000);
    // Queued behind the dead-to-be waiter's ticket, asleep in the kernel.
    await untilBlocked(queueFile(lock.path), behind(phase === 'watch' ? 1 : 0));
    step.kill('SIGKILL');
    expect(await waiting).toBe(true);
    expect(lock.release()).toBe(true);
  });

  test.each(['sync', 'async'] as const)('a waiter killed in the middle of the queue (%s): the ones behind it go on, in order', async (api) => {
    expect(lock.acquireSync(false)).toBe(true);
    const [a, doomed, c] = await queueUp(['a', 'x', 'c'], api);
    doomed?.kill('SIGKILL');
    await doomed?.waitExit();
    // c now waits on a's ticket, the one below the freed byte.
    await untilBlocked(queueFile(lock.path), behind(0));
    expect(lock.release()).toBe(true);
    await finished([a, c].filter((child) => child !== undefined));
    expect(fs.readFileSync(path.join(dir, 'order'), 'latin1')).toBe('ac');
    expect(lock.acquireSync(10_000)).toBe(true);
  });

  test('the head killed while it waits for the holder: the next waiter becomes head', async () => {
    expect(lock.acquireSync(false)).toBe(true);
    const [head, b] = await queueUp(['x', 'b'], 'async');
    head?.kill('SIGKILL');
    await head?.waitExit();
    await untilBlocked(lock.path);
    expect(lock.release()).toBe(true);
    await finished([b].filter((child) => child !== undefined));
    expect(fs.readFileSync(path.join(dir, 'order'), 'latin1')).toBe('b');
  });

  test('a holder that took the lock without queueing, killed holding: the head breaks its file, the queue goes on in order', async () => {
    const { child } = await startHolder(name, 'hold');
    const children = await queueUp(['a', 'b'], 'async');
    child.kill('SIGKILL');
    await finished(children);
    expect(fs.readFileSync(path.join(dir, 'order'), 'latin1')).toBe('ab');
  });

  test('a holder that got the lock through the queue, killed holding: its file is broken and the next waiter gets it', async () => {
    expect(lock.acquireSync(false)).toBe(true);
    const holder = queued('h', 'async', 'hold');
    await untilBlocked(lock.path);
    const next = queued('n', 'sync', 'append');
    await untilBlocked(queueFile(lock.path), behind(0));
    expect(lock.release()).toBe(true);
    expect(await holder.takeLine()).toBe('held');
    // The holder keeps its ticket while it holds: the next waiter still sleeps on it.
    await untilKernel(queueFile(lock.path), (locks) => locks.some((l) => l.write && l.start === 0 && !l.blocked), 'the holder ticket');
    holder.kill('SIGKILL');
    await finished([next]);
    expect(fs.readFileSync(path.join(dir, 'order'), 'latin1')).toBe('n');
    expect(lock.acquireSync(10_000)).toBe(true);
  });
});

describe.each([true, false])('counter race with fair: %s', (fair) => {
  test('4 processes (2 sync, 2 async) x 150 increments are exact', async () => {
    const counters = new Counters(name, path.join(dir, 'counter'), ['sync', 'async', 'sync', 'async'], 150, 0, fair);
    await counters.ready();
    counters.go();
    expect(await counters.finish()).toBe(600);
    expect(fs.existsSync(lock.path)).toBe(false);
  });
});
