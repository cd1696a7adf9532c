/**
 * Interop by SQL with a real `psql` as the other party: the SQL the README documents for
 * "lock index i of a PgLocksFile space" and "request('name') of a PgLockManager namespace"
 * excludes this library's locks and the other way round.
 */
import { PgLockManager, PgLocksFile } from 'locksfile/postgres';
import { killAll, LineChild } from '../helpers/children';
import { PG_URL_ENV } from '../helpers/pg-server';

const url = process.env[PG_URL_ENV] as string;

/**
 * README: a write (or read) lock on index `i` of space `s`: the gated intention keys of the
 * 13 ancestor blocks, top down, then the index's own key.
 */
function lockSql(space: string, i: number, write: boolean): string {
  const shared = write ? '' : '_shared';
  return `DO $$
DECLARE s text := '${space}'; i bigint := ${i}; k text;
BEGIN
  FOR l IN REVERSE 13..1 LOOP
    k := format('locksfile/%s/%s/%s/', s, l, i / power(16, l)::bigint);
    PERFORM pg_advisory_lock${shared}(hashtextextended(k || 'g', 0));
    PERFORM pg_advisory_lock_shared(hashtextextended(k || '${write ? 'w' : 'r'}', 0));
    PERFORM pg_advisory_unlock${shared}(hashtextextended(k || 'g', 0));
  END LOOP;
  PERFORM pg_advisory_lock${shared}(hashtextextended(format('locksfile/%s/0/%s/g', s, i), 0));
END $$;`;
}

/** A psql session driven line by line; `mark(x)` prints x once everything before it ran. */
class Psql {
  readonly child = new LineChild('psql', ['-X', '-q', '-A', '-t', url]);
  #n = 0;

  /** Waits (10 s at most) until psql reported an error matching `pattern` on stderr. */
  async failedWith(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!pattern.test(this.child.stderr) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(this.child.stderr).toMatch(pattern);
  }

  async run(sql: string, timeoutMs = 10_000): Promise<string[]> {
    const mark = `done-${++this.#n}`;
    this.child.send(`${sql.replace(/\n/g, ' ')}\nSELECT '${mark}';`);
    const out: string[] = [];
    for (;;) {
      const line = await this.child.takeLine(() => true, timeoutMs, mark);
      if (line === mark) return out;
      out.push(line);
    }
  }
}

afterEach(() => killAll());

test('psql write lock on index i excludes PgLocksFile, and PgLocksFile excludes psql', async () => {
  const psql = new Psql();
  const [pid] = await psql.run('SELECT pg_backend_pid();');
  const locks = await PgLocksFile.connect(url, { space: 'interop' });
  await psql.run(lockSql('interop', 424_242, true));
  expect(await locks.acquire([0, 1_000_000], { timeout: 0 })).toBe(false);
  expect(await locks.acquire([424_200, 100], { timeout: 0 })).toBe(false);
  expect((await locks.probe(424_242))?.pid).toBe(Number(pid));
  expect(await locks.acquire([424_243, 1000], { write: true, timeout: 0 })).toBe(true);
  await psql.run('SELECT pg_advisory_unlock_all();');
  expect(await locks.acquire([0, 1_000_000], { write: true, timeout: 0 })).toBe(true);

  // The other way: our write lock makes psql wait (lock_timeout turns the wait into an error).
  await psql.run("SET lock_timeout = '200ms';");
  await psql.run(lockSql('interop', 77, false));
  await psql.failedWith(/canceling statement due to lock timeout/);
  await psql.run('SELECT pg_advisory_unlock_all();');
  await locks.release([0, 100]);
  await locks.acquire([0, 1_000_000]);
  await psql.run(lockSql('interop', 78, false));
  expect(await locks.acquire(78, { write: true, timeout: 0 })).toBe(false);
  expect(await locks.acquire(78, { timeout: 0 })).toBe(true);
  await locks.close();
  psql.child.endInput();
  await psql.child.waitExit();
});

test("psql pg_advisory_lock(hashtextextended('locksfile-lm/<namespace>/<name>', 0)) is request(name)", async () => {
  const psql = new Psql();
  const manager = await PgLockManager.connect(url, { namespace: 'interop' });
  await psql.run("SELECT pg_advisory_lock(hashtextextended('locksfile-lm/interop/nightly report', 0));");
  expect(await manager.request('nightly report', { ifAvailable: true }, (lock) => lock)).toBeNull();
  expect(await manager.request('nightly report', { mode: 'shared', ifAvailable: true }, (lock) => lock)).toBeNull();
  await psql.run("SELECT pg_advisory_unlock(hashtextextended('locksfile-lm/interop/nightly report', 0));");
  await psql.run("SELECT pg_advisory_lock_shared(hashtextextended('locksfile-lm/interop/nightly report', 0));");
  expect(await manager.request('nightly report', { mode: 'shared', ifAvailable: true }, (lock) => lock?.mode)).toBe('shared');
  expect(await manager.request('nightly report', { ifAvailable: true }, (lock) => lock)).toBeNull();
  await psql.run('SELECT pg_advisory_unlock_all();');
  await manager.request('nightly report', async () => {
    await psql.run("SET lock_timeout = '200ms';");
    await psql.run("SELECT pg_advisory_lock(hashtextextended('locksfile-lm/interop/nightly report', 0));");
    await psql.failedWith(/canceling statement due to lock timeout/);
  });
  await manager.close();
  psql.child.endInput();
  await psql.child.waitExit();
});
