/**
 * ShmLock fair hand-over check (issue 10), standalone: `fair: true` (the default) and
 * `fair: false` side by side, the ShmLock sibling of `fair-check.ts`.
 *
 * 1. P processes on one named lock for `seconds`, each looping acquire, append one byte (its
 *    own letter) to a shared data file, release. The data file is the grant sequence:
 *    hand-overs = grants whose previous grant went to another process. Reports ops/s, µs per
 *    operation (wall time ÷ operations), CPU µs per operation (all processes), the share of
 *    hand-overs, the worst and p99 wait (call to grant) and the smallest process's share of
 *    grants relative to 1/P. Both APIs: `acquire` (async) and `acquireSync`. The variants run
 *    in interleaved rounds (`reps` of them) and each cell is the median over the rounds.
 * 2. Uncontended pair cost: acquireSync+release and await acquire+release, fair vs not.
 *
 * Usage: node test/.build/bench/shm-fair-check.js [P=4] [seconds=1] [reps=3]
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ShmLock } from 'locksfile';
import { nowNs, waitUntilNs } from './harness/clock';

type Api = 'async' | 'sync';

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
async function hammer(name: string, dataPath: string, letter: string, api: Api, fair: boolean, startNs: bigint, endNs: bigint): Promise<void> {
  const lock = new ShmLock(name, { fair });
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

function run(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  return new Promise<string>((resolve, reject) => {
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child ${args.join(' ')} exited ${code}`))));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function contend(dir: string, p: number, seconds: number, api: Api, fair: boolean): Promise<Figures> {
  const name = `shm-fair-check-${process.pid}-${api}-${fair}`;
  const dataPath = path.join(dir, `${name}.data`);
  fs.writeFileSync(dataPath, '');
  // Every child must be running before the start, even on a loaded machine (Node starts in
  // about 0.1 s idle, more than a second at load 10 on 2 cores).
  const startNs = nowNs() + 2_500_000_000n;
  const endNs = startNs + BigInt(seconds * 1e9);
  const letters = 'abcdefghijklmnop'.slice(0, p).split('');
  const outs = await Promise.all(letters.map((l) => run(['hammer', name, dataPath, l, api, String(fair), String(startNs), String(endNs)])));
  fs.rmSync(path.join('/dev/shm', `.${name}.queue`), { force: true });
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

/** µs per uncontended pair, best of `rounds` interleaved rounds of `n` pairs. */
async function pairs(): Promise<string[]> {
  const n = 5_000;
  const rounds = 5;
  const variants: Array<{ name: string; fair: boolean; api: Api }> = [
    { name: 'sync  fair', fair: true, api: 'sync' },
    { name: 'sync  plain', fair: false, api: 'sync' },
    { name: 'async fair', fair: true, api: 'async' },
    { name: 'async plain', fair: false, api: 'async' },
  ];
  const best = new Map<string, number>();
  const name = `shm-fair-check-${process.pid}-pair`;
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const lock = new ShmLock(name, { fair: v.fair });
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
  fs.rmSync(path.join('/dev/shm', `.${name}.queue`), { force: true });
  return variants.map((v) => `uncontended pair ${v.name.padEnd(11)}: ${(best.get(v.name) ?? 0).toFixed(2)} µs (best of ${rounds} x ${n})`);
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === 'hammer') {
    const [name, dataPath, letter, api, fair, start, end] = rest as [string, string, string, Api, string, string, string];
    return hammer(name, dataPath, letter, api, fair === 'true', BigInt(start), BigInt(end));
  }
  const p = Number(role ?? 4);
  const seconds = Number(rest[0] ?? 1);
  const reps = Number(rest[1] ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shm-fair-check-'));
  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  try {
    console.log(`shm-fair-check: P=${p}, ${seconds} s per run, ${reps} interleaved rounds, load average ${load()} (${os.cpus().length} cores)`);
    const variants = (['sync', 'async'] as const).flatMap((api) => [true, false].map((fair) => ({ api, fair })));
    const figures = variants.map((): Figures[] => []);
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => variants.length - 1 - i);
      for (const i of order) {
        const v = variants[i];
        if (v !== undefined) figures[i]?.push(await contend(dir, p, seconds, v.api, v.fair));
      }
    }
    variants.forEach((v, i) => console.log(row(`${v.api} fair=${v.fair}`, figures[i] ?? [])));
    for (const line of await pairs()) console.log(line);
    console.log(`load average at the end ${load()}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
