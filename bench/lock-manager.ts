/**
 * LockManager (Web Locks) figures: the uncontended `request()` round trip in one process and
 * the hand-over latency between two processes, with two peers for scale: `web-locks`
 * (metarhia; Web Locks between the threads of one process, round trip only) and
 * `cross-process-lock` (a lock file with metadata, retried every 500 ms).
 *
 * Run: `npx tsc -p test/tsconfig.json && node test/.build/bench/lock-manager.js [--quick]`
 *
 * - Round trip: `await manager.request('bench', () => undefined)` in a loop (enqueue, grant,
 *   callback, release, promise settled); median over repetitions of the mean per request,
 *   in wall time and in CPU time of the process (user + system; on a machine shared with
 *   other jobs the CPU time is the better estimate of the cost on an idle core).
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
import { withLock } from 'cross-process-lock';
import { LockManager } from 'locksfile';
import { locks as webLocks } from 'web-locks';
import { F_OFD_SETLK, F_UNLCK, F_WRLCK, flockStruct, libcFcntl } from './adapters/libc';
import { nowNs, usBetween } from './harness/clock';
import { fmt, median, percentileSorted } from './harness/stats';

/** Shared file of the hand-over role: releaser pid @0, release time (ns) @8, queued pid @16. */
const SHARED_SIZE = 24;
/** Longest the holder waits for the other process to queue before releasing anyway, in µs. */
const QUEUE_WAIT_US = 5000;

/** An implementation under test: the lock named by the run, taken around a synchronous callback. */
type Impl = 'ours' | 'web-locks' | 'cross-process-lock';

interface Requester {
  request(callback: () => void): Promise<unknown>;
  close(): void;
}

/** `registry` is our namespace; `target` the file cross-process-lock locks (it must exist). */
function requester(impl: Impl, registry: string, target: string): Requester {
  switch (impl) {
    case 'ours': {
      const manager = new LockManager({ path: registry });
      return { request: (callback) => manager.request('bench', callback), close: () => manager.close() };
    }
    case 'web-locks':
      return { request: (callback) => webLocks.request('bench', async () => callback()), close: () => undefined };
    case 'cross-process-lock':
      return { request: (callback) => withLock(target, async () => callback()), close: () => undefined };
  }
}

/** Wall time and CPU time (user + system of this process) per request, in µs. */
interface Cost {
  readonly wall: number;
  readonly cpu: number;
}

async function roundTrip(impl: Impl, dir: string, run: number, requests: number): Promise<Cost> {
  const target = path.join(dir, `trip-${impl}-${run}.target`);
  fs.writeFileSync(target, '');
  const lock = requester(impl, path.join(dir, `trip-${run}.locks`), target);
  for (let i = 0; i < Math.min(1000, requests); i++) await lock.request(() => undefined);
  const start = nowNs();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < requests; i++) await lock.request(() => undefined);
  const cpu = process.cpuUsage(cpuStart);
  const cost = { wall: usBetween(start, nowNs()) / requests, cpu: (cpu.user + cpu.system) / requests };
  lock.close();
  return cost;
}

/**
 * The system calls of one uncontended request, bare: meta lock, registry read, slot lock,
 * slot write, watch-byte unlock, meta unlock, release write, slot unlock (koffi `fcntl` on
 * pre-built structs, `fs.readSync`/`fs.writeSync`). What no design with these calls can beat.
 */
function syscallFloor(dir: string, requests: number): Cost {
  const fd = fs.openSync(path.join(dir, 'floor.bin'), 'w+');
  const page = Buffer.alloc(4096);
  fs.writeSync(fd, page, 0, page.length, 0);
  const fcntl = libcFcntl().sync;
  const calls = [
    flockStruct(F_WRLCK, 0, 1),
    flockStruct(F_WRLCK, 128, 2),
    flockStruct(F_UNLCK, 129, 1),
    flockStruct(F_UNLCK, 0, 1),
    flockStruct(F_UNLCK, 128, 1),
  ] as const;
  const start = nowNs();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    fcntl(fd, F_OFD_SETLK, calls[0]);
    fs.readSync(fd, page, 0, page.length, 0);
    fcntl(fd, F_OFD_SETLK, calls[1]);
    fs.writeSync(fd, page, 0, 256, 128);
    fcntl(fd, F_OFD_SETLK, calls[2]);
    fcntl(fd, F_OFD_SETLK, calls[3]);
    fs.writeSync(fd, page, 0, 1, 128);
    fcntl(fd, F_OFD_SETLK, calls[4]);
  }
  const cpu = process.cpuUsage(cpuStart);
  fs.closeSync(fd);
  return { wall: usBetween(start, nowNs()) / requests, cpu: (cpu.user + cpu.system) / requests };
}

/** One side of the hand-over: prints a JSON array of latencies (µs) of the grants it received. */
async function handoverRole(impl: Impl, registry: string, sharedPath: string, rounds: number): Promise<void> {
  const lock = requester(impl, registry, sharedPath);
  const fd = fs.openSync(sharedPath, 'r+');
  const shared = Buffer.alloc(SHARED_SIZE);
  const samples: number[] = [];
  const me = process.pid;
  for (let i = 0; i < rounds; i++) {
    const done = lock.request(() => {
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
  lock.close();
  process.stdout.write(`${JSON.stringify(samples)}\n`);
}

async function handover(impl: Impl, dir: string, rounds: number): Promise<number[]> {
  const registry = path.join(dir, `handover-${impl}.locks`);
  const sharedPath = path.join(dir, `handover-${impl}.shared`);
  fs.writeFileSync(sharedPath, Buffer.alloc(SHARED_SIZE));
  const runs = [0, 1].map(
    () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, [__filename, 'handover', impl, registry, sharedPath, String(rounds)], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    const rows: string[][] = [];
    const floors = Array.from({ length: reps }, () => syscallFloor(dir, quick ? 5000 : 20000));
    const floorNote = `the 8 system calls of an uncontended request, bare; CPU time ${fmt(median(floors.map((f) => f.cpu)))} µs`;
    rows.push(['(floor)', 'uncontended round trip', `${fmt(median(floors.map((f) => f.wall)))} µs`, '', floorNote]);
    const plans: [Impl, number, number][] = [
      ['ours', quick ? 5000 : 20000, quick ? 1000 : 5000],
      ['web-locks', quick ? 200 : 1000, 0],
      ['cross-process-lock', quick ? 200 : 1000, quick ? 4 : 10],
    ];
    for (const [impl, requests, rounds] of plans) {
      const trips: Cost[] = [];
      for (let r = 0; r < reps; r++) trips.push(await roundTrip(impl, dir, r, requests));
      const wall = trips.map((t) => t.wall);
      const cpu = trips.map((t) => t.cpu);
      const note = `median of ${reps} runs: ${wall.map(fmt).join(', ')}; CPU time per request ${fmt(median(cpu))} µs (min ${fmt(Math.min(...cpu))})`;
      rows.push([impl, 'uncontended round trip', `${fmt(median(wall))} µs`, impl === 'ours' ? '<= 10 µs' : '', note]);
      if (rounds === 0) continue;
      const latencies = await handover(impl, dir, rounds);
      const spread = `${latencies.length} hand-overs in ${2 * rounds} turns; p90 ${fmt(percentileSorted(latencies, 90))} µs, p99 ${fmt(percentileSorted(latencies, 99))} µs`;
      rows.push([impl, 'hand-over between processes, p50', `${fmt(percentileSorted(latencies, 50))} µs`, impl === 'ours' ? '< 100 µs' : '', spread]);
    }
    process.stdout.write(`| implementation | figure | value | target | note |\n|---|---|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`);
    process.stdout.write(
      `(${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, Node ${process.version})\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const [role, implArg, registryArg, sharedArg, roundsArg] = process.argv.slice(2);
const run = role === 'handover' ? handoverRole(implArg as Impl, registryArg, sharedArg, Number(roundsArg)) : main();
run.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
