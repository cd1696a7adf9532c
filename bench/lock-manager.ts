/**
 * LockManager (Web Locks) figures: the uncontended `request()` round trip in one process and
 * the hand-over latency between two processes.
 *
 * Run: `npx tsc -p test/tsconfig.json && node test/.build/bench/lock-manager.js [--quick]`
 *
 * - Round trip: `await manager.request('bench', () => undefined)` in a loop (enqueue, grant,
 *   callback, release, promise settled); median over repetitions of the mean per request.
 * - Hand-over: two processes take turns on one name. The holder waits until the other has
 *   queued (it says so in a shared file right after its `request()` call returned), stamps the
 *   release time, and returns; the next holder's callback stamps its start. Latency = start -
 *   release on the system-wide monotonic clock, so it covers the release, the kernel wake-up
 *   of the waiter thread, the rescan under the meta lock and the callback dispatch.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LockManager } from 'locksfile';
import { nowNs, usBetween } from './harness/clock';
import { fmt, median, percentileSorted } from './harness/stats';

/** Shared file of the hand-over role: releaser pid @0, release time (ns) @8, queued pid @16. */
const SHARED_SIZE = 24;
/** Longest the holder waits for the other process to queue before releasing anyway, in µs. */
const QUEUE_WAIT_US = 5000;

async function roundTrip(registry: string, requests: number): Promise<number> {
  const manager = new LockManager({ path: registry });
  for (let i = 0; i < 1000; i++) await manager.request('bench', () => undefined);
  const start = nowNs();
  for (let i = 0; i < requests; i++) await manager.request('bench', () => undefined);
  const perRequest = usBetween(start, nowNs()) / requests;
  manager.close();
  return perRequest;
}

/** One side of the hand-over: prints a JSON array of latencies (µs) of the grants it received. */
async function handoverRole(registry: string, sharedPath: string, rounds: number): Promise<void> {
  const manager = new LockManager({ path: registry });
  const fd = fs.openSync(sharedPath, 'r+');
  const shared = Buffer.alloc(SHARED_SIZE);
  const samples: number[] = [];
  const me = process.pid;
  for (let i = 0; i < rounds; i++) {
    const done = manager.request('ball', () => {
      const granted = nowNs();
      fs.readSync(fd, shared, 0, SHARED_SIZE, 0);
      const releaser = shared.readInt32LE(0);
      if (releaser !== 0 && releaser !== me) samples.push(usBetween(shared.readBigInt64LE(8), granted));
      const deadline = nowNs() + BigInt(QUEUE_WAIT_US * 1000);
      // The other process writes its pid at 16 right after its request() returned (queued).
      do fs.readSync(fd, shared, 16, 4, 16);
      while (shared.readInt32LE(16) === me && nowNs() < deadline);
      shared.writeInt32LE(me, 0);
      shared.writeBigInt64LE(nowNs(), 8);
      fs.writeSync(fd, shared, 0, 16, 0);
    });
    shared.writeInt32LE(me, 16);
    fs.writeSync(fd, shared, 16, 4, 16);
    await done;
  }
  fs.closeSync(fd);
  manager.close();
  process.stdout.write(`${JSON.stringify(samples)}\n`);
}

async function handover(dir: string, rounds: number): Promise<number[]> {
  const registry = path.join(dir, 'handover.locks');
  const sharedPath = path.join(dir, 'handover.shared');
  fs.writeFileSync(sharedPath, Buffer.alloc(SHARED_SIZE));
  const runs = [0, 1].map(
    () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, [__filename, 'handover', registry, sharedPath, String(rounds)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`hand-over child exited with ${code}`))));
      }),
  );
  return (await Promise.all(runs)).flat().sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmbench-'));
  try {
    const reps = quick ? 3 : 5;
    const trips: number[] = [];
    for (let r = 0; r < reps; r++) trips.push(await roundTrip(path.join(dir, `trip-${r}.locks`), quick ? 5000 : 20000));
    const latencies = await handover(dir, quick ? 1000 : 5000);
    const rows = [
      ['uncontended request() round trip', `${fmt(median(trips))} µs`, '<= 10 µs', `median of ${reps} runs: ${trips.map(fmt).join(', ')}`],
      ['hand-over between processes, p50', `${fmt(percentileSorted(latencies, 50))} µs`, '< 100 µs', `${latencies.length} hand-overs`],
      ['hand-over between processes, p90', `${fmt(percentileSorted(latencies, 90))} µs`, '', ''],
      ['hand-over between processes, p99', `${fmt(percentileSorted(latencies, 99))} µs`, '', ''],
    ];
    process.stdout.write(`| figure | value | target | note |\n|---|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`);
    process.stdout.write(`(${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version})\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const [role, registryArg, sharedArg, roundsArg] = process.argv.slice(2);
const run = role === 'handover' ? handoverRole(registryArg as string, sharedArg as string, Number(roundsArg)) : main();
run.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
