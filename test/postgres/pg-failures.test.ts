/**
 * Failures against the real server, with real processes: a SIGKILLed holder's locks pass to
 * a waiter on another session within 1 s; pg_terminate_backend and a server restart make the
 * owner report 'lost' and reject every later call with LockLostError, as does a network cut
 * (a loopback proxy resets the connection); 4 processes x 500
 * increments of a counter row under a write lock come out exact.
 */
import * as net from 'node:net';
import { Client } from 'pg';
import { PgLockManager, PgLocksFile } from 'locksfile/postgres';
import { LockLostError } from 'locksfile';
import { killAll, type LineChild, spawnNode } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { PG_URL_ENV, startPgServer } from '../helpers/pg-server';

const url = process.env[PG_URL_ENV] as string;
let admin: Client;

beforeAll(async () => {
  admin = new Client({ connectionString: url });
  await admin.connect();
});

afterEach(() => killAll());

afterAll(async () => {
  await admin.end();
});

/** Every call of a lost PgLocksFile rejects (or throws) LockLostError. */
async function expectAllLost(locks: PgLocksFile): Promise<void> {
  await expect(locks.acquire(0)).rejects.toBeInstanceOf(LockLostError);
  await expect(locks.release()).rejects.toBeInstanceOf(LockLostError);
  await expect(locks.probe(0)).rejects.toBeInstanceOf(LockLostError);
  expect(() => locks.held()).toThrow(LockLostError);
}

describe.each(['file', 'manager'] as const)('holder process SIGKILLed (%s)', (mode) => {
  test('a waiter on another session is granted within 1 s', async () => {
    const holder = spawnNode(fixture('pg-holder'), [url, mode]);
    await holder.takeLine((l) => l.startsWith('held'));
    let granted: Promise<unknown>;
    let cleanup: () => Promise<void>;
    if (mode === 'file') {
      const waiter = await PgLocksFile.connect(url, { space: 'kill' });
      expect(await waiter.acquire(50, { timeout: 0 })).toBe(false);
      granted = waiter.acquire([0, 100], { write: true, timeout: 10_000 }).then((ok) => expect(ok).toBe(true));
      cleanup = () => waiter.close();
    } else {
      const waiter = await PgLockManager.connect(url, { namespace: 'kill' });
      expect(await waiter.request('victim', { ifAvailable: true }, (lock) => lock)).toBeNull();
      granted = waiter.request('victim', (lock) => expect(lock?.name).toBe('victim'));
      cleanup = () => waiter.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const killedAt = performance.now();
    holder.kill('SIGKILL');
    await granted;
    expect(performance.now() - killedAt).toBeLessThan(1000);
    await cleanup();
  });
});

test("pg_terminate_backend of the holder: 'lost' event, onLost, then LockLostError everywhere", async () => {
  const seen: string[] = [];
  const locks = await PgLocksFile.connect(url, { space: 'terminate', onLost: () => seen.push('onLost') });
  locks.on('lost', (err: LockLostError) => seen.push(`event ${err.code}`));
  await locks.acquire([0, 10], { write: true });
  const other = await PgLocksFile.connect(url, { space: 'terminate' });
  const waiting = other.acquire(5, { write: true, timeout: 10_000 });
  await admin.query('SELECT pg_terminate_backend($1)', [locks.pid]);
  expect(await waiting).toBe(true);
  const deadline = Date.now() + 5000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(seen.sort()).toEqual(['event ERR_LOCK_LOST', 'onLost']);
  await expectAllLost(locks);
  await locks.close();
  await other.close();
});

test('server restart mid-hold: lost, no silent reconnect; a new owner works after', async () => {
  const server = await startPgServer();
  try {
    const locks = await PgLocksFile.connect(server.url, { space: 'restart' });
    const manager = await PgLockManager.connect(server.url);
    const lost: string[] = [];
    locks.on('lost', () => lost.push('file'));
    manager.on('lost', () => lost.push('manager'));
    await locks.acquire([0, 1000], { write: true });
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const inside = manager
      .request('held', () => {
        entered();
        return new Promise(() => undefined);
      })
      .catch((err: unknown) => err);
    await holding;
    server.restart();
    expect(await inside).toBeInstanceOf(LockLostError);
    const deadline = Date.now() + 5000;
    while (lost.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lost.sort()).toEqual(['file', 'manager']);
    await expectAllLost(locks);
    await expect(manager.request('x', () => 1)).rejects.toBeInstanceOf(LockLostError);
    const fresh = await PgLocksFile.connect(server.url, { space: 'restart' });
    expect(await fresh.acquire([0, 1000], { write: true, timeout: 0 })).toBe(true);
    await Promise.all([fresh.close(), locks.close(), manager.close()]);
  } finally {
    server.stop();
  }
});

/** A loopback TCP proxy to the server whose connections can be cut at once. */
async function cuttableProxy(target: string): Promise<{ url: string; cut: () => void; close: () => Promise<void> }> {
  const to = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(to.port), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `postgres://${to.username}@127.0.0.1:${port}${to.pathname}`,
    cut: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test("network cut: 'lost' and LockLostError, and the server frees the locks for others", async () => {
  const proxy = await cuttableProxy(url);
  try {
    const locks = await PgLocksFile.connect(proxy.url, { space: 'cut' });
    const lost = new Promise<LockLostError>((resolve) => locks.once('lost', resolve));
    await locks.acquire([0, 10], { write: true });
    const other = await PgLocksFile.connect(url, { space: 'cut' });
    expect(await other.acquire(3, { timeout: 0 })).toBe(false);
    proxy.cut();
    expect((await lost).code).toBe('ERR_LOCK_LOST');
    await expectAllLost(locks);
    // The server sees the reset connection and ends the backend, which drops its locks.
    expect(await other.acquire(3, { write: true, timeout: 10_000 })).toBe(true);
    await Promise.all([locks.close(), other.close()]);
  } finally {
    await proxy.close();
  }
});

test('after close() no session is left: the process exits on its own', async () => {
  const child = spawnNode(fixture('pg-exit'), [url]);
  expect(await child.takeLine((l) => l.startsWith('closed'))).toBe('closed ERR_LOCK_CLOSED');
  expect(await child.waitExit(10_000)).toEqual({ code: 0, signal: null });
});

describe.each(['file', 'manager'] as const)('counter row under a write lock (%s)', (mode) => {
  test('4 processes x 500 increments come out exact', async () => {
    await admin.query('CREATE TABLE IF NOT EXISTS locksfile_counter (id int PRIMARY KEY, n int NOT NULL)');
    await admin.query('INSERT INTO locksfile_counter VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
    const children: LineChild[] = Array.from({ length: 4 }, () => spawnNode(fixture('pg-counter'), [url, '500', mode]));
    for (const c of children) await c.takeLine((l) => l === 'ready');
    for (const c of children) c.send('go');
    for (const c of children) expect(await c.waitExit(120_000)).toEqual({ code: 0, signal: null });
    const { rows } = await admin.query<{ n: number }>('SELECT n FROM locksfile_counter WHERE id = 1');
    expect(rows[0]?.n).toBe(2000);
  }, 180_000);
});
