/**
 * PgLockManager against the real server: the W3C argument errors, exclusive and shared
 * modes, ifAvailable, query() across clients, signal cancelling the server-side wait,
 * steal, and FIFO grants in the server's queue order.
 */
import { getEventListeners } from 'node:events';
import { Client } from 'pg';
import { PgLockManager } from 'locksfile/postgres';
import { InvalidArgumentError, LockClosedError, LockLostError, LockSystemError } from 'locksfile';
import { PG_URL_ENV } from '../helpers/pg-server';

const url = process.env[PG_URL_ENV] as string;
let admin: Client;
const open: PgLockManager[] = [];
let nsNo = 0;

async function managers(n: number): Promise<PgLockManager[]> {
  const namespace = `ns${++nsNo}-${process.pid}`;
  const out: PgLockManager[] = [];
  for (let i = 0; i < n; i++) out.push(await PgLockManager.connect(url, { namespace, clientId: `client-${i}` }));
  open.push(...out);
  return out;
}

/** A promise and its resolver. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Starts `m.request(name, callback)` whose callback holds the lock until `until` settles;
 * resolves once the callback runs (the lock is held), with the request's promise.
 */
async function hold<T>(m: PgLockManager, name: string, until: Promise<T>): Promise<{ done: Promise<T> }> {
  const entered = latch();
  const done = m.request(name, () => {
    entered.open();
    return until;
  });
  await Promise.race([entered.promise, done]);
  return { done };
}

/** Waits until `query()` of `m` shows `n` pending requests. */
async function pendingCount(m: PgLockManager, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await m.query()).pending.length === n) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never saw ${n} pending requests`);
}

beforeAll(async () => {
  admin = new Client({ connectionString: url });
  await admin.connect();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

afterAll(async () => {
  await admin.end();
});

test('argument errors are the W3C ones', async () => {
  const [m] = (await managers(1)) as [PgLockManager];
  const cb = (): number => 1;
  const notSupported = expect.objectContaining({ name: 'NotSupportedError' });
  await expect(m.request('-x', cb)).rejects.toEqual(notSupported);
  await expect(m.request('x', { steal: true, ifAvailable: true }, cb)).rejects.toEqual(notSupported);
  await expect(m.request('x', { steal: true, mode: 'shared' }, cb)).rejects.toEqual(notSupported);
  await expect(m.request('x', { signal: new AbortController().signal, ifAvailable: true }, cb)).rejects.toEqual(notSupported);
  await expect(m.request('x', { signal: new AbortController().signal, steal: true }, cb)).rejects.toEqual(notSupported);
  await expect(m.request('x', {}, 'nope' as unknown as typeof cb)).rejects.toBeInstanceOf(TypeError);
  await expect(m.request('x', { mode: 'both' as 'shared' }, cb)).rejects.toBeInstanceOf(TypeError);
  const reason = new Error('already');
  const ac = new AbortController();
  ac.abort(reason);
  await expect(m.request('x', { signal: ac.signal }, cb)).rejects.toBe(reason);
});

test('exclusive excludes across clients, shared admits shared; query() lists both clients', async () => {
  const [a, b] = (await managers(2)) as [PgLockManager, PgLockManager];
  const release = latch();
  const entered = latch();
  const held = a.request('res', async (lock) => {
    expect(lock).toEqual({ name: 'res', mode: 'exclusive' });
    entered.open();
    await release.promise;
    return 'a done';
  });
  await entered.promise;
  expect(await b.request('res', { ifAvailable: true }, (lock) => lock)).toBeNull();
  const waiting = b.request('res', { mode: 'shared' }, (lock) => lock?.mode);
  await pendingCount(a, 1);
  expect(await a.query()).toEqual({
    held: [{ name: 'res', mode: 'exclusive', clientId: 'client-0' }],
    pending: [{ name: 'res', mode: 'shared', clientId: 'client-1' }],
  });
  release.open();
  expect(await held).toBe('a done');
  expect(await waiting).toBe('shared');
  const both = latch();
  const s1 = a.request("it's shared", { mode: 'shared' }, () => both.promise);
  const s2 = b.request("it's shared", { mode: 'shared' }, async () => {
    both.open();
  });
  await Promise.all([s1, s2]);
  expect(await a.query()).toEqual({ held: [], pending: [] });
});

test('a callback that throws: the request rejects with its error, after the lock was released', async () => {
  const [a, b] = (await managers(2)) as [PgLockManager, PgLockManager];
  const boom = new Error('boom');
  await expect(
    a.request('t', () => {
      throw boom;
    }),
  ).rejects.toBe(boom);
  expect(await b.request('t', { ifAvailable: true }, (lock) => lock?.name)).toBe('t');
  await expect(a.request('t', () => Promise.reject(boom))).rejects.toBe(boom);
  expect(await b.request('t', { ifAvailable: true }, (lock) => lock?.name)).toBe('t');
});

test('a signal that never aborts keeps no listener after the request', async () => {
  const [m] = (await managers(1)) as [PgLockManager];
  const ac = new AbortController();
  for (let i = 0; i < 3; i++) expect(await m.request('listen', { signal: ac.signal }, () => i)).toBe(i);
  expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
});

test('connect: a pg client config works; bad options and an unreachable server reject typed', async () => {
  await using m = await PgLockManager.connect({ connectionString: url }, { namespace: `cfg-${process.pid}` });
  expect(await m.request('a', (lock) => lock?.mode)).toBe('exclusive');
  await expect(PgLockManager.connect(url, { namespace: 7 as unknown as string })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(PgLockManager.connect(url, { onLost: 'no' as unknown as () => void })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(PgLockManager.connect('postgres://postgres@127.0.0.1:1/postgres')).rejects.toBeInstanceOf(LockSystemError);
});

test('two requests of one manager exclude each other', async () => {
  const [m] = (await managers(1)) as [PgLockManager];
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 4 }, () =>
      m.request('one', async () => {
        most = Math.max(most, ++inside);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inside--;
      }),
    ),
  );
  expect(most).toBe(1);
});

test('signal cancels the server-side wait: the request leaves the queue and nothing is held', async () => {
  const [a, b] = (await managers(2)) as [PgLockManager, PgLockManager];
  const release = latch();
  const { done: held } = await hold(a, 'sig', release.promise);
  const ac = new AbortController();
  let ran = false;
  const waiting = b.request('sig', { signal: ac.signal }, () => {
    ran = true;
  });
  await pendingCount(a, 1);
  const reason = new Error('give up');
  ac.abort(reason);
  await expect(waiting).rejects.toBe(reason);
  expect((await a.query()).pending).toEqual([]);
  release.open();
  await held;
  expect(ran).toBe(false);
  expect(await a.query()).toEqual({ held: [], pending: [] });
});

test('an abort racing the grant: the callback runs and the lock is released, or nothing is held', async () => {
  const [a, b] = (await managers(2)) as [PgLockManager, PgLockManager];
  for (let round = 0; round < 30; round++) {
    const release = latch();
    const { done: held } = await hold(a, 'race', release.promise);
    const ac = new AbortController();
    let ran = false;
    const waiting = b.request('race', { signal: ac.signal }, () => {
      ran = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5 + (round % 7)));
    release.open();
    await new Promise((resolve) => setTimeout(resolve, round % 3));
    ac.abort(new Error('late'));
    await held;
    const outcome = await waiting.then(
      () => 'granted',
      (err: Error) => err.message,
    );
    expect(outcome).toBe(ran ? 'granted' : 'late');
    expect(await a.query()).toEqual({ held: [], pending: [] });
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND a.application_name LIKE 'locksfile-lm:client-%'",
    );
    expect(rows[0]?.n).toBe(0);
  }
});

test('waiters are granted in the order they queued (FIFO)', async () => {
  const ms = await managers(5);
  const [holder, ...waiters] = ms as [PgLockManager, ...PgLockManager[]];
  const release = latch();
  const { done: held } = await hold(holder, 'fifo', release.promise);
  const order: number[] = [];
  const requests: Array<Promise<void>> = [];
  for (const [i, w] of waiters.entries()) {
    requests.push(
      w.request('fifo', { mode: i === 2 ? 'shared' : 'exclusive' }, async () => {
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }),
    );
    await pendingCount(holder, i + 1);
  }
  expect((await holder.query()).pending.map((p) => p.clientId)).toEqual(['client-1', 'client-2', 'client-3', 'client-4']);
  release.open();
  await held;
  await Promise.all(requests);
  expect(order).toEqual([0, 1, 2, 3]);
});

test('steal terminates the holder session: its manager reports lost, the thief runs', async () => {
  const [victim, thief] = (await managers(2)) as [PgLockManager, PgLockManager];
  const lost: LockLostError[] = [];
  victim.on('lost', (err: LockLostError) => lost.push(err));
  const held = (await hold(victim, 'prize', new Promise(() => undefined))).done.catch((err: unknown) => err);
  expect(await thief.request('prize', { steal: true }, (lock) => lock?.name)).toBe('prize');
  expect(await held).toBeInstanceOf(LockLostError);
  expect(lost).toHaveLength(1);
  await expect(victim.request('other', () => 1)).rejects.toBeInstanceOf(LockLostError);
  await expect(victim.query()).rejects.toBeInstanceOf(LockLostError);
});

test('close() rejects requests in flight with LockClosedError and later calls too', async () => {
  const [a, b] = (await managers(2)) as [PgLockManager, PgLockManager];
  const release = latch();
  const { done: held } = await hold(a, 'c', release.promise);
  const waiting = b.request('c', () => 1).catch((err: unknown) => err);
  await pendingCount(a, 1);
  await b.close();
  expect(await waiting).toBeInstanceOf(LockClosedError);
  await expect(b.request('c', () => 1)).rejects.toBeInstanceOf(LockClosedError);
  release.open();
  await held;
});
