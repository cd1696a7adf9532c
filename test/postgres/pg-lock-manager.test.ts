/**
 * PgLockManager against the real server: the W3C argument errors, exclusive and shared
 * modes, ifAvailable, query() across clients, signal cancelling the server-side wait,
 * steal, and FIFO grants in the server's queue order.
 */
import { Client } from 'pg';
import { PgLockManager } from 'locksfile/postgres';
import { LockClosedError, LockLostError } from 'locksfile';
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
  const held = a.request('res', async (lock) => {
    expect(lock).toEqual({ name: 'res', mode: 'exclusive' });
    await release.promise;
    return 'a done';
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
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
  const held = a.request('sig', () => release.promise);
  await new Promise((resolve) => setTimeout(resolve, 50));
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

test('waiters are granted in the order they queued (FIFO)', async () => {
  const ms = await managers(5);
  const [holder, ...waiters] = ms as [PgLockManager, ...PgLockManager[]];
  const release = latch();
  const held = holder.request('fifo', () => release.promise);
  await new Promise((resolve) => setTimeout(resolve, 50));
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
  const held = victim.request('prize', () => new Promise(() => undefined)).catch((err: unknown) => err);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(await thief.request('prize', { steal: true }, (lock) => lock?.name)).toBe('prize');
  expect(await held).toBeInstanceOf(LockLostError);
  expect(lost).toHaveLength(1);
  await expect(victim.request('other', () => 1)).rejects.toBeInstanceOf(LockLostError);
  await expect(victim.query()).rejects.toBeInstanceOf(LockLostError);
});

test('close() rejects requests in flight with LockClosedError and later calls too', async () => {
  const [a, b] = (await managers(2)) as [PgLockManager, PgLockManager];
  const release = latch();
  const held = a.request('c', () => release.promise);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const waiting = b.request('c', () => 1).catch((err: unknown) => err);
  await pendingCount(a, 1);
  await b.close();
  expect(await waiting).toBeInstanceOf(LockClosedError);
  await expect(b.request('c', () => 1)).rejects.toBeInstanceOf(LockClosedError);
  release.open();
  await held;
});
