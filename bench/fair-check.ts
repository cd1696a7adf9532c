/**
 * Fair hand-over check (issue 10), standalone: `fair: true` and `fair: false` (the default) side by side.
 *
 * 1. P processes on one write lock for `seconds`, each looping acquire, append one byte (its
 *    own letter) to a shared data file, release. The data file is the grant sequence:
 *    hand-overs = grants whose previous grant went to another process. Also the worst and
 *    p99 wait (call to grant), each process's share of grants relative to 1/P, and ops/s.
 *    Both APIs: `acquire` (async) and `acquireSync`.
 * 2. Wide writer: 3 processes keep taking 0.2 ms read locks on random single indices of
 *    [0, 64); once they all run, another process asks for a write lock on [0, 64) `reps`
 *    times, 300 ms apart; its waits.
 * 3. Uncontended pair cost: acquireSync+release and await acquire+release, fair vs not,
 *    interleaved rounds.
 *
 * Usage: node test/.build/bench/fair-check.js [P=4] [seconds=2] [reps=5]
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { nowNs, spinUs, waitUntilNs } from './harness/clock';

type Api = 'async' | 'sync';

interface HammerResult {
  readonly grants: number;
  readonly worstMs: number;
  readonly waitsMs: number[];
}

/** Child: hammer the lock until `endNs`, report its waits on stdout as JSON. */
async function hammer(lockPath: string, dataPath: string, letter: string, api: Api, fair: boolean, startNs: bigint, endNs: bigint): Promise<void> {
  const lf = new LocksFile(lockPath, { fair });
  const fd = fs.openSync(dataPath, 'a');
  const byte = Buffer.from(letter);
  const waits: number[] = [];
  waitUntilNs(startNs);
  while (nowNs() < endNs) {
    const asked = nowNs();
    if (api === 'sync') lf.acquireSync(0, { write: true });
    else await lf.acquire(0, { write: true });
    waits.push(Number(nowNs() - asked) / 1e6);
    fs.writeSync(fd, byte);
    lf.release();
  }
  lf.close();
  const result: HammerResult = { grants: waits.length, worstMs: Math.max(...waits), waitsMs: waits };
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

async function fairness(dir: string, p: number, seconds: number, api: Api, fair: boolean): Promise<string> {
  const lockPath = path.join(dir, `f-${api}-${fair}.lock`);
  const dataPath = path.join(dir, `f-${api}-${fair}.data`);
  fs.writeFileSync(dataPath, '');
  const startNs = nowNs() + 800_000_000n;
  const endNs = startNs + BigInt(seconds * 1e9);
  const letters = 'abcdefghijklmnop'.slice(0, p).split('');
  const outs = await Promise.all(letters.map((l) => run(['hammer', lockPath, dataPath, l, api, String(fair), String(startNs), String(endNs)]).done));
  const results = outs.map((o) => JSON.parse(o) as HammerResult);
  const seq = fs.readFileSync(dataPath, 'latin1');
  let handovers = 0;
  for (let i = 1; i < seq.length; i++) if (seq[i] !== seq[i - 1]) handovers++;
  const total = seq.length;
  const waits = results.flatMap((r) => r.waitsMs).sort((a, b) => a - b);
  const minShare = Math.min(...results.map((r) => r.grants)) / (total / p);
  const row = [
    `${api.padEnd(5)} fair=${String(fair).padEnd(5)}`,
    `ops/s ${Math.round(total / seconds)
      .toString()
      .padStart(6)}`,
    `hand-overs ${((100 * handovers) / Math.max(1, total - 1)).toFixed(1).padStart(5)}%`,
    `worst ${Math.max(...results.map((r) => r.worstMs))
      .toFixed(1)
      .padStart(6)} ms`,
    `p99 ${percentile(waits, 99).toFixed(2).padStart(6)} ms`,
    `min share ${minShare.toFixed(2)}`,
  ];
  return row.join('  ');
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
async function pairs(dir: string): Promise<string[]> {
  const n = 20_000;
  const rounds = 7;
  const variants: Array<{ name: string; fair: boolean; api: Api }> = [
    { name: 'sync  fair', fair: true, api: 'sync' },
    { name: 'sync  plain', fair: false, api: 'sync' },
    { name: 'async fair', fair: true, api: 'async' },
    { name: 'async plain', fair: false, api: 'async' },
  ];
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const lf = new LocksFile(path.join(dir, 'pair.lock'), { fair: v.fair });
      const t0 = nowNs();
      for (let i = 0; i < n; i++) {
        if (v.api === 'sync') lf.acquireSync(0, { write: true });
        else await lf.acquire(0, { write: true });
        lf.release();
      }
      const us = Number(nowNs() - t0) / 1e3 / n;
      lf.close();
      best.set(v.name, Math.min(best.get(v.name) ?? Infinity, us));
    }
  }
  return variants.map((v) => `uncontended pair ${v.name.padEnd(11)}: ${(best.get(v.name) ?? 0).toFixed(2)} µs (best of ${rounds} x ${n})`);
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === 'hammer') {
    const [lockPath, dataPath, letter, api, fair, start, end] = rest as [string, string, string, Api, string, string, string];
    return hammer(lockPath, dataPath, letter, api, fair === 'true', BigInt(start), BigInt(end));
  }
  if (role === 'reader') return reader(rest[0] ?? '', rest[1] === 'true');
  if (role === 'wide') return wide(rest[0] ?? '', rest[1] === 'true', Number(rest[2]));
  const p = Number(role ?? 4);
  const seconds = Number(rest[0] ?? 2);
  const reps = Number(rest[1] ?? 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fair-check-'));
  try {
    console.log(
      `fair-check: P=${p}, ${seconds} s per run, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (${os.cpus().length} cores)`,
    );
    for (const api of ['async', 'sync'] as const) {
      for (const fair of [true, false]) console.log(await fairness(dir, p, seconds, api, fair));
    }
    for (const fair of [true, false]) console.log(await wideWriter(dir, reps, fair));
    for (const line of await pairs(dir)) console.log(line);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
