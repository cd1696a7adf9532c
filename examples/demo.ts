/**
 * `npm run demo`: the "run it in several terminals" example as one command.
 *
 * N processes (default 4) each increment a shared counter file M times (default 2,000):
 * first without any lock, then with a LocksFile write lock on index 0 around every
 * increment. The increment is the same deliberately non-atomic code both times (read the
 * file, parse, let the event loop turn, write n + 1), so without the lock increments get
 * lost and with it the total is exact.
 *
 *   node test/.build/examples/demo.js [--processes N] [--increments M]
 *
 * Exits 0 when the locked total is exact, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';

type Mode = 'unlocked' | 'locked';

/** The counter: 16 zero-padded digits at offset 0, rewritten in place. */
const WIDTH = 16;
/** Lock index guarding the counter. */
const COUNTER = 0;

/** Read, parse, yield, write: a textbook lost-update race unless something serializes it. */
async function increment(fd: number): Promise<void> {
  const buf = Buffer.alloc(WIDTH);
  const n = Number.parseInt(buf.toString('latin1', 0, fs.readSync(fd, buf, 0, WIDTH, 0)), 10);
  await new Promise<void>((resolve) => setImmediate(resolve)); // others run here
  fs.writeSync(fd, String(n + 1).padStart(WIDTH, '0'), 0, 'latin1');
}

/** One worker process: waits for "go" on stdin, increments `times` times, exits. */
async function child(mode: Mode, lockPath: string, counterPath: string, times: number): Promise<void> {
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const fd = fs.openSync(counterPath, 'r+');
  using lf = new LocksFile(lockPath);
  for (let i = 0; i < times; i++) {
    if (mode === 'locked') await lf.withLock(COUNTER, { write: true }, () => increment(fd));
    else await increment(fd);
  }
  fs.closeSync(fd);
}

/** Runs `processes` workers in `mode` against a fresh counter and returns the final total. */
async function round(mode: Mode, dir: string, processes: number, times: number): Promise<number> {
  const counterPath = path.join(dir, `${mode}.counter`);
  const lockPath = path.join(dir, 'demo.lock');
  fs.writeFileSync(counterPath, '0'.padStart(WIDTH, '0'));
  const workers = Array.from({ length: processes }, () =>
    spawn(process.execPath, [__filename, 'child', mode, lockPath, counterPath, String(times)], { stdio: ['pipe', 'inherit', 'inherit'] }),
  );
  const exits = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        w.on('error', reject);
        w.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`worker ${w.pid} exited with ${code ?? signal}`))));
      }),
  );
  for (const w of workers) w.stdin?.end('go\n'); // start them together
  await Promise.all(exits);
  return Number.parseInt(fs.readFileSync(counterPath, 'latin1'), 10);
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer`);
  return value;
}

async function main(): Promise<number> {
  const processes = option('processes', 4);
  const times = option('increments', 2000);
  const expected = processes * times;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locksfile-demo-'));
  try {
    console.log(`${processes} processes x ${times} increments of one counter file (expected total ${expected})`);
    const started = performance.now();
    const unlocked = await round('unlocked', dir, processes, times);
    console.log(`  without locking:             ${String(unlocked).padStart(8)}  (${expected - unlocked} increments lost)`);
    const locked = await round('locked', dir, processes, times);
    console.log(`  with LocksFile write locks:  ${String(locked).padStart(8)}  (${locked === expected ? 'exact' : `WRONG: ${expected - locked} lost`})`);
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return locked === expected ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const [role, mode, lockPath, counterPath, times] = process.argv.slice(2);
const run =
  role === 'child' && (mode === 'locked' || mode === 'unlocked') && lockPath !== undefined && counterPath !== undefined
    ? child(mode, lockPath, counterPath, Number(times)).then(() => 0)
    : main();
run.then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
