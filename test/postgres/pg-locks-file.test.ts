/**
 * PgLocksFile against the real PostgreSQL server of the jest global setup: the interval
 * semantics of the README (shared reads, exclusive writes, conversion, partial release),
 * handles, probe, cancellation (nothing stays held), the 1,000,000-index interval on a
 * default server, and a seeded random workload checked against a brute-force model.
 */
import { getEventListeners } from 'node:events';
import { Client } from 'pg';
import { PgLocksFile } from 'locksfile/postgres';
import { DeadlockError, InvalidArgumentError, LockAbortError, LockBusyError, LockCanceledError, LockClosedError, LockTimeoutError } from 'locksfile';
import { PG_URL_ENV } from '../helpers/pg-server';
import { freshSeed, Random } from '../helpers/random';

const url = process.env[PG_URL_ENV] as string;
let admin: Client;
const open: PgLocksFile[] = [];
let spaceNo = 0;

async function owner(space: string): Promise<PgLocksFile> {
  const o = await PgLocksFile.connect(url, { space });
  open.push(o);
  return o;
}

/** A fresh space and two owners in it. */
async function pair(): Promise<[PgLocksFile, PgLocksFile]> {
  const space = `t${++spaceNo}-${process.pid}`;
  return [await owner(space), await owner(space)];
}

/** Advisory lock entries the server holds for `pid`. */
async function entriesOf(pid: number): Promise<number> {
  const { rows } = await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = $1", [pid]);
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\//);
  admin = new Client({ connectionString: url });
  await admin.connect();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

afterAll(async () => {
  await admin.end();
});

describe('interval semantics', () => {
  test('reads share, writes exclude, disjoint ranges never conflict', async () => {
    const [a, b] = await pair();
    expect(await a.acquire([10, 20])).toBe(true);
    expect(await b.acquire([15, 30])).toBe(true);
    expect(await b.acquire([25, 2], { write: true, timeout: 0 })).toBe(false);
    expect(await b.acquire([30, 5], { write: true, timeout: 0 })).toBe(true);
    expect(await a.acquire(35, { write: true, timeout: 0 })).toBe(false);
    expect(await a.acquire(45, { write: true, timeout: 0 })).toBe(true);
  });

  test('conversion: upgrade, downgrade, and a refused upgrade keeps the read lock', async () => {
    const [a, b] = await pair();
    await a.acquire([0, 100]);
    await b.acquire([50, 10]);
    expect(await a.acquire([0, 100], { write: true, timeout: 0 })).toBe(false);
    expect(a.held()).toEqual([{ start: 0, count: 100, write: false }]);
    expect(await b.acquire([0, 10], { write: true, timeout: 0 })).toBe(false);
    await b.release();
    expect(await a.acquire([0, 100], { write: true, timeout: 0 })).toBe(true);
    expect(await b.acquire(99, { timeout: 0 })).toBe(false);
    expect(await a.acquire([0, 50])).toBe(true);
    expect(a.held()).toEqual([
      { start: 0, count: 50, write: false },
      { start: 50, count: 50, write: true },
    ]);
    expect(await b.acquire([0, 50], { timeout: 0 })).toBe(true);
    expect(await b.acquire(50, { timeout: 0 })).toBe(false);
  });

  test('partial release keeps the rest held', async () => {
    const [a, b] = await pair();
    await a.acquire([0, 4096], { write: true });
    await a.release([100, 200]);
    expect(a.held()).toEqual([
      { start: 0, count: 100, write: true },
      { start: 300, count: 3796, write: true },
    ]);
    expect(await b.acquire([100, 200], { write: true, timeout: 0 })).toBe(true);
    expect(await b.acquire(99, { timeout: 0 })).toBe(false);
    expect(await b.acquire(300, { timeout: 0 })).toBe(false);
    await a.release();
    expect(a.held()).toEqual([]);
    expect(await b.acquire([0, 4096], { write: true, timeout: 0 })).toBe(true);
  });

  test('[0, 1_000_000) on a default server: few lock entries, excludes every index of it', async () => {
    const [a, b] = await pair();
    const setting = async (name: string): Promise<string | undefined> =>
      (await admin.query<{ setting: string }>('SELECT setting FROM pg_settings WHERE name = $1', [name])).rows[0]?.setting;
    expect([await setting('max_locks_per_transaction'), await setting('max_connections')]).toEqual(['64', '100']);
    expect(await a.acquire([0, 1_000_000], { write: true })).toBe(true);
    // 25 canonical blocks of 16^L plus one intention key per level above them.
    expect(await entriesOf(a.pid)).toBeLessThanOrEqual(40);
    for (const i of [0, 1, 65_535, 65_536, 500_000, 999_999]) expect(await b.acquire(i, { timeout: 0 })).toBe(false);
    expect(await b.acquire(1_000_000, { write: true, timeout: 0 })).toBe(true);
    expect(await b.acquire([123_456_789, 1_000_000], { write: true, timeout: 0 })).toBe(true);
    // An unaligned wide interval stays within the stated bound: 30 per level + 13 intentions.
    expect(await entriesOf(b.pid)).toBeLessThanOrEqual(2 * (30 * 6 + 13) + 1);
    await a.release([1, 999_998]);
    expect(await entriesOf(a.pid)).toBeLessThanOrEqual(2 * 14);
    expect(await b.acquire([1, 999_998], { write: true, timeout: 0 })).toBe(true);
  });
});

describe('handles, probe, errors', () => {
  test('lock() handles, withLock(), LockBusyError and LockTimeoutError', async () => {
    const [a, b] = await pair();
    {
      await using h = await a.lock([0, 10], { write: true });
      expect(h).toMatchObject({ start: 0, count: 10, write: true });
      await expect(b.lock(5, { blocking: false })).rejects.toBeInstanceOf(LockBusyError);
      await expect(b.lock(5, { timeout: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
    }
    expect(a.held()).toEqual([]);
    const ac = new AbortController();
    expect(await b.withLock(5, { write: true, signal: ac.signal, timeout: 10_000 }, () => 'ran')).toBe('ran');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(b.held()).toEqual([]);
    const h = await b.lock(3);
    h.release();
    h.release();
    await h[Symbol.asyncDispose]();
    expect(b.held()).toEqual([]);
  });

  test('probe() reports the holder server pid, null when free', async () => {
    const [a, b] = await pair();
    expect(await b.probe(5, { write: true })).toBeNull();
    await a.acquire([0, 10]);
    expect(await b.probe(5)).toBeNull();
    expect(await b.probe(5, { write: true })).toMatchObject({ pid: a.pid, write: false });
    await a.acquire(5, { write: true });
    expect(await b.probe(5)).toEqual({ start: 5, count: 1, write: true, pid: a.pid });
  });

  test('bad arguments throw InvalidArgumentError; closed instance rejects with LockClosedError', async () => {
    const [a] = await pair();
    await expect(a.acquire(-1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(a.acquire(0, { timeout: -5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(a.release([0, 0])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(PgLocksFile.connect(url, { space: 5 as unknown as string })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(PgLocksFile.connect(42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    let ref: PgLocksFile | undefined;
    {
      await using scoped = await PgLocksFile.connect({ connectionString: url }, { space: a.space });
      await scoped.acquire(0, { write: true });
      expect((await a.probe(0))?.pid).toBe(scoped.pid);
      ref = scoped;
    }
    // `await using` closed it: the session ended and the lock went with it.
    expect(ref.closed).toBe(true);
    expect(await a.acquire(0, { write: true, timeout: 10_000 })).toBe(true);
    await a.close();
    await expect(a.acquire(0)).rejects.toBeInstanceOf(LockClosedError);
    expect(() => a.held()).toThrow(LockClosedError);
  });
});

describe('cancellation: the server-side wait ends and nothing stays held', () => {
  test('timeout cancels the wait; the waiter holds nothing afterwards', async () => {
    const [a, b] = await pair();
    await a.acquire([0, 5000], { write: true });
    const before = await entriesOf(b.pid);
    const started = performance.now();
    expect(await b.acquire([4000, 2000], { write: true, timeout: 150 })).toBe(false);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await entriesOf(b.pid)).toBe(before);
    const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [b.pid]);
    expect(rows).toHaveLength(0);
    await a.release();
    expect(await b.acquire([4000, 2000], { write: true, timeout: 0 })).toBe(true);
  });

  test('signal aborts with LockAbortError; release() cancels an overlapping wait', async () => {
    const [a, b] = await pair();
    await a.acquire(7, { write: true });
    const ac = new AbortController();
    const waiting = b.acquire(7, { signal: ac.signal });
    await waitForLockWait(b.pid);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toBeInstanceOf(LockAbortError);
    expect(await entriesOf(b.pid)).toBe(0);
    const second = b.acquire([0, 10]);
    await waitForLockWait(b.pid);
    await b.release([5, 1]);
    await expect(second).rejects.toBeInstanceOf(LockCanceledError);
    expect(await entriesOf(b.pid)).toBe(0);
  });

  test('a release of another range is served while an acquire waits, which then resumes', async () => {
    const [a, b] = await pair();
    await a.acquire(1, { write: true });
    await b.acquire(2, { write: true });
    const waiting = b.acquire(1, { write: true });
    await waitForLockWait(b.pid);
    await b.release(2);
    expect(await a.acquire(2, { write: true, timeout: 0 })).toBe(true);
    await a.release(1);
    expect(await waiting).toBe(true);
    expect(b.held()).toEqual([{ start: 1, count: 1, write: true }]);
  });
});

test('two upgrades that wait for each other: the server finds the deadlock, one gets DeadlockError', async () => {
  const [a, b] = await pair();
  await a.acquire([0, 10]);
  await b.acquire([0, 10]);
  const up = [a, b].map((o, i) =>
    o.acquire([0, 10], { write: true, timeout: 30_000 }).then(
      (value: unknown) => ({ i, value }),
      (value: unknown) => ({ i, value }),
    ),
  );
  const first = await Promise.race(up);
  expect(first.value).toBeInstanceOf(DeadlockError);
  const loser = first.i === 0 ? a : b;
  const winner = first.i === 0 ? b : a;
  // The refused upgrade left its read lock: the other upgrade is granted once it goes.
  expect(loser.held()).toEqual([{ start: 0, count: 10, write: false }]);
  await loser.release();
  expect((await up[1 - first.i])?.value).toBe(true);
  expect(winner.held()).toEqual([{ start: 0, count: 10, write: true }]);
});

test('a timeout racing the grant: either held, or nothing of it stays on the server', async () => {
  const [a, b] = await pair();
  for (let round = 0; round < 30; round++) {
    await a.acquire([0, 300], { write: true });
    const waiting = b.acquire([200, 200], { write: true, timeout: 20 + (round % 10) });
    await new Promise((resolve) => setTimeout(resolve, 15 + (round % 7)));
    await a.release();
    const got = await waiting;
    if (got) {
      expect(b.held()).toEqual([{ start: 200, count: 200, write: true }]);
      await b.release();
    }
    expect(b.held()).toEqual([]);
    expect(await entriesOf(b.pid)).toBe(0);
  }
});

test('waiters queued in a known order are granted in that order (FIFO), with the logger told', async () => {
  const space = `fifo-${process.pid}`;
  const lines: string[] = [];
  const log = (m: string): void => void lines.push(m);
  const holder = await PgLocksFile.connect(url, { space, id: 'holder', logger: { debug: log, info: log, warn: log, error: log } });
  open.push(holder);
  // The waiters all queue on the key of index 12 (the server's queue of one key is FIFO; see
  // the README for requests of several keys that reach a key in the same instant).
  await holder.acquire(12, { write: true });
  expect(lines.some((l) => l.includes('[holder] acquired [12, 13) write'))).toBe(true);
  const order: number[] = [];
  const waits: Array<Promise<void>> = [];
  for (let i = 0; i < 4; i++) {
    const w = await owner(space);
    waits.push(
      w.acquire(i === 1 ? [10, 5] : 12, { write: i !== 2 }).then(async (ok) => {
        expect(ok).toBe(true);
        order.push(i);
        await w.release();
      }),
    );
    await waitForLockWait(w.pid);
  }
  await holder.release();
  await Promise.all(waits);
  expect(order).toEqual([0, 1, 2, 3]);
});

test('random workload of two owners agrees with a brute-force model', async () => {
  const seed = freshSeed();
  const rnd = new Random(seed);
  const owners = await pair();
  const SIZE = 300;
  const model: Array<Array<'r' | 'w' | undefined>> = [new Array(SIZE).fill(undefined), new Array(SIZE).fill(undefined)];
  for (let step = 0; step < 150; step++) {
    const who = rnd.int(2);
    const other = 1 - who;
    const start = rnd.chance(0.3) ? rnd.int(16) * 16 : rnd.int(SIZE - 1);
    const count = 1 + rnd.int(Math.min(SIZE - start, rnd.chance(0.5) ? 20 : 200) - 1);
    const me = owners[who];
    const mine = model[who];
    const theirs = model[other];
    if (rnd.chance(0.3)) {
      await me.release([start, count]);
      for (let i = start; i < start + count; i++) mine[i] = undefined;
    } else {
      const write = rnd.chance(0.5);
      let free = true;
      for (let i = start; i < start + count; i++) if (theirs[i] === 'w' || (write && theirs[i] !== undefined)) free = false;
      const got = await me.acquire([start, count], { write, timeout: 0 });
      if (got !== free) throw new Error(`seed ${seed} step ${step}: acquire([${start}, ${count}], write ${write}) gave ${got}, model says ${free}`);
      if (got) for (let i = start; i < start + count; i++) mine[i] = write ? 'w' : 'r';
    }
  }
});

/** Waits until the session `pid` waits for a lock on the server. */
async function waitForLockWait(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [pid]);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`session ${pid} never waited for a lock`);
}
