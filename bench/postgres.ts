/**
 * PostgreSQL benchmark: `npx tsc -p test/tsconfig.json && node test/.build/bench/postgres.js
 * [--seconds=3] [--reps=3]`. Starts its own throwaway cluster (test/helpers/pg-server.ts;
 * or uses LOCKSFILE_PG_URL) and measures, over loopback, for `PgLocksFile` (write lock on
 * index 0), `PgLockManager` (`request('bench')`) and the npm `advisory-lock` package (the
 * peer, `mutex.withLock`), in the same run:
 *
 * - uncontended round trip: one process, lock + unlock in a loop (mean µs and ops/s);
 * - contended, P = 4 processes on one lock: total ops/s, and hand-over latency p50/p99
 *   (from the holder starting its unlock to the next process's grant, on one clock).
 *
 * Every contended run verifies exclusion: the grant-release intervals of all processes,
 * merged, never overlap. Medians over `reps` repetitions.
 *
 * @packageDocumentation
 */
import advisoryLock from 'advisory-lock';
import { PgLockManager, PgLocksFile } from 'locksfile/postgres';
import { LineChild } from '../test/helpers/children';
import { PG_URL_ENV, type PgServer, startPgServer } from '../test/helpers/pg-server';
import { nowNs } from './harness/clock';
import { median, percentileSorted } from './harness/stats';

type Impl = 'PgLocksFile' | 'PgLockManager' | 'advisory-lock';
const IMPLS: readonly Impl[] = ['PgLocksFile', 'PgLockManager', 'advisory-lock'];
const P = 4;

/** One critical section runner: `run(fn)` holds the lock while `fn` runs. */
interface Locker {
  run(fn: () => void): Promise<void>;
  close(): Promise<void>;
}

async function locker(impl: Impl, url: string): Promise<Locker> {
  if (impl === 'PgLocksFile') {
    const locks = await PgLocksFile.connect(url, { space: 'bench' });
    return {
      run: async (fn) => {
        await locks.acquire(0, { write: true });
        fn();
        await locks.release(0);
      },
      close: () => locks.close(),
    };
  }
  if (impl === 'PgLockManager') {
    const manager = await PgLockManager.connect(url, { namespace: 'bench' });
    return { run: (fn) => manager.request('bench', fn), close: () => manager.close() };
  }
  const mutex = advisoryLock(url)('bench');
  return {
    run: async (fn) => {
      await mutex.withLock(async () => fn());
    },
    close: async () => undefined,
  };
}

/** Milliseconds on the system-wide monotonic clock: comparable across processes. */
function now(): number {
  return Number(nowNs() / 1000n) / 1000;
}

/** Child: runs critical sections for `ms`, then prints its [grant, release start] pairs (ms) as JSON. */
async function child(impl: Impl, url: string, ms: number): Promise<void> {
  const l = await locker(impl, url);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const spans: Array<[number, number]> = [];
  const end = now() + ms;
  while (now() < end) {
    await l.run(() => {
      // A 50 µs section, so that overlapping holders would show as overlapping spans.
      const grant = now();
      let release = grant;
      while (release < grant + 0.05) release = now();
      spans.push([grant, release]);
    });
  }
  await l.close();
  process.stdout.write(`${JSON.stringify(spans)}\n`, () => process.exit(0));
}

async function uncontended(impl: Impl, url: string, ms: number): Promise<{ us: number; opsPerS: number }> {
  const l = await locker(impl, url);
  for (let i = 0; i < 20; i++) await l.run(() => undefined);
  let n = 0;
  const start = now();
  while (now() - start < ms) {
    await l.run(() => undefined);
    n++;
  }
  const elapsed = now() - start;
  await l.close();
  return { us: (elapsed * 1000) / n, opsPerS: (n * 1000) / elapsed };
}

async function contended(impl: Impl, url: string, ms: number): Promise<{ opsPerS: number; p50: number; p99: number }> {
  const script = __filename;
  const children = Array.from({ length: P }, () => new LineChild(process.execPath, [script, 'child', impl, url, String(ms)]));
  for (const c of children) await c.takeLine((l) => l === 'ready', 30_000);
  for (const c of children) c.send('go');
  const all: Array<{ grant: number; release: number; who: number }> = [];
  for (const [who, c] of children.entries()) {
    const line = await c.takeLine((l) => l.startsWith('['), ms + 60_000, 'the spans');
    for (const [grant, release] of JSON.parse(line) as Array<[number, number]>) all.push({ grant, release, who });
    await c.waitExit();
  }
  all.sort((a, b) => a.grant - b.grant);
  const handovers: number[] = [];
  for (let i = 1; i < all.length; i++) {
    const prev = all[i - 1];
    const cur = all[i];
    if (cur.grant < prev.release) throw new Error(`${impl}: exclusion broken: two processes held the lock at once`);
    if (cur.who !== prev.who) handovers.push((cur.grant - prev.release) * 1000);
  }
  handovers.sort((a, b) => a - b);
  const span = (all[all.length - 1]?.grant ?? 0) - (all[0]?.grant ?? 0);
  return { opsPerS: (all.length * 1000) / span, p50: percentileSorted(handovers, 50), p99: percentileSorted(handovers, 99) };
}

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3));
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 3);
  const reps = arg('reps', 3);
  let server: PgServer | undefined;
  let url = process.env[PG_URL_ENV];
  if (url === undefined) {
    server = await startPgServer();
    url = server.url;
  }
  try {
    process.stderr.write(`server ${url}; ${seconds} s per figure, median of ${reps}\n`);
    const rows: string[] = [
      '| implementation | uncontended round trip (µs) | uncontended ops/s | P=4 contended ops/s | hand-over p50 (µs) | hand-over p99 (µs) |',
      '|---|---:|---:|---:|---:|---:|',
    ];
    for (const impl of IMPLS) {
      const u: Array<{ us: number; opsPerS: number }> = [];
      const c: Array<{ opsPerS: number; p50: number; p99: number }> = [];
      for (let r = 0; r < reps; r++) {
        u.push(await uncontended(impl, url, seconds * 1000));
        c.push(await contended(impl, url, seconds * 1000));
        process.stderr.write(`${impl} rep ${r + 1}: ${JSON.stringify({ ...u[r], ...c[r] })}\n`);
      }
      const m = (xs: number[]): string => median(xs).toFixed(0);
      rows.push(
        `| ${impl} | ${m(u.map((x) => x.us))} | ${m(u.map((x) => x.opsPerS))} | ${m(c.map((x) => x.opsPerS))} | ${m(c.map((x) => x.p50))} | ${m(c.map((x) => x.p99))} |`,
      );
    }
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    server?.stop();
  }
}

if (process.argv[2] === 'child') {
  const [, , , impl, url, ms] = process.argv;
  child(impl as Impl, url, Number(ms)).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
