/**
 * Fair hand-over check (issue 10), standalone: `fair: true` and `fair: false` side by side,
 * for LocksFile (a write lock on index 0) or ShmLock (one named lock).
 *
 * 1. P processes on one lock for `seconds`, each looping acquire, append one byte (its own
 *    letter) to a shared data file, release. The data file is the grant sequence:
 *    hand-overs = grants whose previous grant went to another process. Reports ops/s, µs per
 *    operation (wall time ÷ operations), CPU µs per operation (all processes), the share of
 *    hand-overs, the worst and p99 wait (call to grant) and the smallest process's share of
 *    grants relative to 1/P. Both APIs: `acquire` (async) and `acquireSync`. The variants run
 *    in interleaved rounds (`reps` of them) and each cell is the median over the rounds (the
 *    worst wait: the maximum).
 * 2. LocksFile only, wide writer: 3 processes keep taking 0.2 ms read locks on random single
 *    indices of [0, 64); once they all run, another process asks for a write lock on [0, 64)
 *    `reps` times, 300 ms apart; its waits.
 * 3. Uncontended pair cost: acquireSync+release and await acquire+release, fair vs not,
 *    interleaved rounds.
 *
 * Usage: node test/.build/bench/fair-check.js [lock=LocksFile|ShmLock] [P=4] [seconds=1] [reps=3]
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocksFile, ShmLock } from 'locksfile';
import { nowNs, spinUs, waitUntilNs } from './harness/clock';

type Api = 'async' | 'sync';

/** The lock under test reduced to one exclusive lock. */
interface Subject {
  acquireSync(): unknown;
  acquire(): Promise<unknown>;
  release(): unknown;
  close(): void;
}

/** A lock class under test: where its files go, how to open one, how many uncontended pairs to time. */
interface Kind {
  /** Directory the run's temporary directory is made in. */
  readonly root: string;
  open(dir: string, name: string, fair: boolean): Subject;
  /** Whether the lock has index ranges (then the wide-writer part runs). */
  readonly ranges: boolean;
  readonly pairs: { readonly n: number; readonly rounds: number };
}

const kinds: Record<string, Kind> = {
  LocksFile: {
    root: os.tmpdir(),
    open: (dir, name, fair) => {
      const lf = new LocksFile(path.join(dir, `${name}.lock`), { fair });
      return {
        acquireSync: () => lf.acquireSync(0, { write: true }),
        acquire: () => lf.acquire(0, { write: true }),
        release: () => lf.release(),
        close: () => lf.close(),
      };
    },
    ranges: true,
    pairs: { n: 20_000, rounds: 7 },
  },
  ShmLock: {
    root: '/dev/shm',
    open: (dir, name, fair) => new ShmLock(name, { fair, dir }),
    ranges: false,
    pairs: { n: 5_000, rounds: 5 },
  },
};

interface HammerResult {
  /** Whether the child was not running yet at the start time (its figures would be skewed). */
  readonly late: boolean;
  readonly grants: number;
  readonly cpuUs: number;
  readonly waitsMs: number[];
}

interface Figures {
  readonly opsPerS: number;
  readonly usPerOp: number;
  readonly cpuUsPerOp: number;
  readonly handoverPct: number;
  readonly worstMs: number;
  readonly p99Ms: number;
  readonly minShare: number;
}

/** Child: hammer the lock until `endNs`, report its waits and CPU time on stdout as JSON. */
async function hammer(lock: Subject, dataPath: string, letter: string, api: Api, startNs: bigint, endNs: bigint): Promise<void> {
  const fd = fs.openSync(dataPath, 'a');
  const byte = Buffer.from(letter);
  const waits: number[] = [];
  const late = nowNs() > startNs;
  waitUntilNs(startNs);
  const cpu0 = process.cpuUsage();
  while (nowNs() < endNs) {
    const asked = nowNs();
    if (api === 'sync') lock.acquireSync();
    else await lock.acquire();
    waits.push(Number(nowNs() - asked) / 1e6);
    fs.writeSync(fd, byte);
    lock.release();
  }
  const cpu = process.cpuUsage(cpu0);
  lock.close();
  const result: HammerResult = { late, grants: waits.length, cpuUs: cpu.user + cpu.system, waitsMs: waits };
  process.stdout.write(JSON.stringify(result));
}

/** Child: random 0.2 ms single-index read locks on [0, 64) until killed; prints `running` first. */
async function reader(lockPath: string, fair: boolean): Promise<void> {
  const lf = new LocksFile(lockPath, { fair });
  process.stdout.write('running\n');
  for (;;) {
    const i = Math.floor(Math.random() * 64);
    await lf.acquire(i);
    spinUs(200);
    lf.release(i);
  }
}

/** Child: `reps` write locks on [0, 64), 300 ms apart; prints the waits. */
async function wide(lockPath: string, fair: boolean, reps: number): Promise<void> {
  const lf = new LocksFile(lockPath, { fair });
  const waits: number[] = [];
  for (let i = 0; i < reps; i++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const asked = nowNs();
    await lf.acquire([0, 64], { write: true, timeout: 10_000 });
    waits.push(Number(nowNs() - asked) / 1e6);
    lf.release();
  }
  lf.close();
  process.stdout.write(JSON.stringify(waits));
}

/** Runs this script as a child with `args`; `started` is called once it printed `running`. A SIGKILL from `kill` is a normal end. */
function run(args: string[], started?: () => void): { done: Promise<string>; kill: () => void } {
  const child = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (started !== undefined && out.includes('running')) started();
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on('close', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve(out) : reject(new Error(`child ${args.join(' ')} exited ${code}`))));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function contend(kind: string, dir: string, p: number, seconds: number, api: Api, fair: boolean): Promise<Figures> {
  const name = `fair-check-${api}-${fair}`;
  const dataPath = path.join(dir, `${name}.data`);
  fs.writeFileSync(dataPath, '');
  // Every child must be running before the start, even on a loaded machine (Node starts in
  // about 0.1 s idle, more than a second at load 10 on 2 cores).
  const startNs = nowNs() + 2_500_000_000n;
  const endNs = startNs + BigInt(seconds * 1e9);
  const letters = 'abcdefghijklmnop'.slice(0, p).split('');
  const outs = await Promise.all(letters.map((l) => run(['hammer', kind, dir, name, dataPath, l, api, String(fair), String(startNs), String(endNs)]).done));
  const results = outs.map((o) => JSON.parse(o) as HammerResult);
  if (results.some((r) => r.late)) throw new Error('a child started after the start time: the machine is too loaded for this run');
  const seq = fs.readFileSync(dataPath, 'latin1');
  let handovers = 0;
  for (let i = 1; i < seq.length; i++) if (seq[i] !== seq[i - 1]) handovers++;
  const total = seq.length;
  const waits = results.flatMap((r) => r.waitsMs).sort((a, b) => a - b);
  return {
    opsPerS: total / seconds,
    usPerOp: (seconds * 1e6) / total,
    cpuUsPerOp: results.reduce((sum, r) => sum + r.cpuUs, 0) / total,
    handoverPct: (100 * handovers) / Math.max(1, total - 1),
    worstMs: waits[waits.length - 1] ?? 0,
    p99Ms: percentile(waits, 99),
    minShare: Math.min(...results.map((r) => r.grants)) / (total / p),
  };
}

function row(label: string, reps: Figures[]): string {
  const m = (pick: (f: Figures) => number): number => median(reps.map(pick));
  return [
    label.padEnd(17),
    `ops/s ${Math.round(m((f) => f.opsPerS))
      .toString()
      .padStart(6)}`,
    `µs/op ${m((f) => f.usPerOp)
      .toFixed(1)
      .padStart(6)}`,
    `CPU µs/op ${m((f) => f.cpuUsPerOp)
      .toFixed(1)
      .padStart(6)}`,
    `hand-overs ${m((f) => f.handoverPct)
      .toFixed(1)
      .padStart(5)}%`,
    `p99 ${m((f) => f.p99Ms)
      .toFixed(2)
      .padStart(6)} ms`,
    `worst ${Math.max(...reps.map((f) => f.worstMs))
      .toFixed(1)
      .padStart(6)} ms (max)`,
    `min share ${m((f) => f.minShare).toFixed(2)}`,
  ].join('  ');
}

/** Contention rows: every api × fair variant `reps` times in interleaved rounds (alternating order), medians. */
async function contention(kind: string, dir: string, p: number, seconds: number, reps: number): Promise<string[]> {
  const variants = (['sync', 'async'] as const).flatMap((api) => [true, false].map((fair) => ({ api, fair })));
  const figures = variants.map((): Figures[] => []);
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => variants.length - 1 - i);
    for (const i of order) {
      const v = variants[i];
      if (v !== undefined) figures[i]?.push(await contend(kind, dir, p, seconds, v.api, v.fair));
    }
  }
  return variants.map((v, i) => row(`${v.api} fair=${v.fair}`, figures[i] ?? []));
}

async function wideWriter(dir: string, reps: number, fair: boolean): Promise<string> {
  const lockPath = path.join(dir, `w-${fair}.lock`);
  let running = 0;
  let allRunning: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (allRunning = resolve));
  const readers = [0, 1, 2].map(() => run(['reader', lockPath, String(fair)], () => ++running === 3 && allRunning()));
  await ready;
  const waits = JSON.parse(await run(['wide', lockPath, String(fair), String(reps)]).done) as number[];
  for (const r of readers) r.kill();
  await Promise.all(readers.map((r) => r.done));
  return `wide write [0, 64) vs 3 readers, fair=${String(fair).padEnd(5)}: waits ${waits.map((w) => w.toFixed(1)).join(', ')} ms (max ${Math.max(...waits).toFixed(1)})`;
}

/** µs per uncontended pair, best of `rounds` interleaved rounds of `n` pairs. */
async function pairs(kind: Kind, dir: string): Promise<string[]> {
  const { n, rounds } = kind.pairs;
  const variants: Array<{ name: string; fair: boolean; api: Api }> = [
    { name: 'sync  fair', fair: true, api: 'sync' },
    { name: 'sync  plain', fair: false, api: 'sync' },
    { name: 'async fair', fair: true, api: 'async' },
    { name: 'async plain', fair: false, api: 'async' },
  ];
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const lock = kind.open(dir, 'pair', v.fair);
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        if (v.api === 'sync') lock.acquireSync();
        else await lock.acquire();
        lock.release();
      }
      const us = Number(nowNs() - t0) / 1e3 / n;
      lock.close();
      best.set(v.name, Math.min(best.get(v.name) ?? Infinity, us));
    }
  }
  return variants.map((v) => `uncontended pair ${v.name.padEnd(11)}: ${(best.get(v.name) ?? 0).toFixed(2)} µs (best of ${rounds} x ${n})`);
}

function kindOf(name: string): Kind {
  const kind = kinds[name];
  if (kind === undefined) throw new Error(`lock must be one of ${Object.keys(kinds).join(', ')}, not ${name}`);
  return kind;
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === 'hammer') {
    const [kind, dir, name, dataPath, letter, api, fair, start, end] = rest as [string, string, string, string, string, Api, string, string, string];
    return hammer(kindOf(kind).open(dir, name, fair === 'true'), dataPath, letter, api, BigInt(start), BigInt(end));
  }
  if (role === 'reader') return reader(rest[0] ?? '', rest[1] === 'true');
  if (role === 'wide') return wide(rest[0] ?? '', rest[1] === 'true', Number(rest[2]));
  const kindName = role ?? 'LocksFile';
  const kind = kindOf(kindName);
  const p = Number(rest[0] ?? 4);
  const seconds = Number(rest[1] ?? 1);
  const reps = Number(rest[2] ?? 3);
  const dir = fs.mkdtempSync(path.join(kind.root, 'fair-check-'));
  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  try {
    console.log(`fair-check ${kindName}: P=${p}, ${seconds} s per run, ${reps} interleaved rounds, load average ${load()} (${os.cpus().length} cores)`);
    for (const line of await contention(kindName, dir, p, seconds, reps)) console.log(line);
    if (kind.ranges) for (const fair of [true, false]) console.log(await wideWriter(dir, reps, fair));
    for (const line of await pairs(kind, dir)) console.log(line);
    console.log(`load average at the end ${load()}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
