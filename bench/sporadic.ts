/**
 * Sporadic contention: a process whose lock is contended once in a while, after an idle
 * period. Each repetition: another process holds the lock, this process does nothing for
 * `idleMs`, then calls `acquire()`; the holder releases 2 ms after that call. The figure is
 * the time from the holder's release to our grant, on the system-wide monotonic clock (what
 * a waiter thread that has to start first, or is already warm, costs). The first repetition
 * is reported apart: it is the process's first contended wait (cold). Last, the idle cost of
 * the warm waiter thread: threads and RSS with it, and after `waiterPool.trim()` ends it.
 *
 * Usage: node test/.build/bench/sporadic.js [repetitions=20] [idleMs=1500]
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { LocksFile, waiterPool } from 'locksfile';
import { nowNs, waitUntilNs } from './harness/clock';

const RELEASE_AFTER_NS = 2_000_000n;

/** The holder process: `lock` -> "locked"; `release-at <ns>` -> releases then, prints "released <ns>". */
function holder(lockPath: string): void {
  const lf = new LocksFile(lockPath);
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, at] = line.split(' ');
    if (cmd === 'lock') {
      lf.acquireSync(0, { write: true });
      process.stdout.write('locked\n');
    } else if (cmd === 'release-at') {
      waitUntilNs(BigInt(at ?? '0'));
      const releasedNs = nowNs();
      lf.release(0);
      process.stdout.write(`released ${releasedNs}\n`);
    } else {
      lf.close();
      process.exit(0);
    }
  });
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 20);
  const idleMs = Number(process.argv[3] ?? 1500);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locksfile-sporadic-'));
  const lockPath = path.join(dir, 'sporadic.lock');
  const child = spawn(process.execPath, [__filename, 'holder', lockPath], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => String((await lines.next()).value);
  const lf = new LocksFile(lockPath);
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    child.stdin.write('lock\n');
    if ((await next()) !== 'locked') throw new Error('holder did not lock');
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    child.stdin.write(`release-at ${nowNs() + RELEASE_AFTER_NS}\n`);
    await lf.acquire(0, { write: true });
    const grantedNs = nowNs();
    const released = (await next()).split(' ')[1] ?? '0';
    samples.push(Number(grantedNs - BigInt(released)) / 1e6);
    lf.release(0);
  }
  child.stdin.write('exit\n');
  lf.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const sorted = samples.slice(1).sort((a, b) => a - b);
  const fmt = (ms: number): string => ms.toFixed(2);
  console.log(`sporadic contention: ${reps} repetitions, ${idleMs} ms idle before each contended acquire`);
  console.log(`release -> grant (ms), first (cold): ${fmt(samples[0] ?? NaN)}`);
  console.log(
    `release -> grant (ms), after idle: min ${fmt(sorted[0] ?? NaN)}  median ${fmt(quantile(sorted, 0.5))}  p90 ${fmt(quantile(sorted, 0.9))}  max ${fmt(sorted[sorted.length - 1] ?? NaN)}`,
  );
  console.log(`samples: ${samples.map(fmt).join(' ')}`);
  const tasks = (): number => fs.readdirSync('/proc/self/task').length;
  const rssMiB = (): string => (process.memoryUsage().rss / 2 ** 20).toFixed(1);
  console.log(`idle, warm waiter kept: waiter threads ${waiterPool.threads}, process threads ${tasks()}, RSS ${rssMiB()} MiB`);
  await waiterPool.trim();
  console.log(`idle, after waiterPool.trim(): waiter threads ${waiterPool.threads}, process threads ${tasks()}, RSS ${rssMiB()} MiB`);
  console.log(
    `load average at end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

if (process.argv[2] === 'holder') holder(process.argv[3] ?? '');
else void main();
