/**
 * Micro-benchmark of the uncontended cost of one lock + release pair on a `LocksFile`, in
 * three shapes, as the median of 7 repetitions (µs per pair):
 * - handle pair: `const h = await lf.lock(i, { write: true }); h.release()`;
 * - owner pair: `await lf.acquire(i, { write: true }); lf.release(i)`;
 * - sync pair: `lf.acquireSync(i, { write: true }); lf.release(i)`.
 * Issue 9 asks for the handle pair within 1.5x of the owner pair. Nothing else touches the
 * file, so every pair is two `fcntl` calls, one `fstat` (the file-identity check) and the
 * bookkeeping around them.
 *
 * Run: `npx tsc -p test/tsconfig.json && node test/.build/bench/handle-pair.js`
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocksFile } from '../lib/index';

const PAIRS = 20_000;
const REPS = 7;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function timed(pair: (i: number) => Promise<void> | void): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PAIRS; i++) await pair(i % 64);
  return Number(process.hrtime.bigint() - t0) / PAIRS / 1000;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locksfile-bench-'));
  const lf = new LocksFile(path.join(dir, 'pair.lock'));
  const shapes: [string, (i: number) => Promise<void> | void][] = [
    ['handle pair (await lock + h.release)', async (i) => (await lf.lock(i, { write: true })).release()],
    [
      'owner pair (await acquire + release)',
      async (i) => {
        await lf.acquire(i, { write: true });
        lf.release(i);
      },
    ],
    [
      'sync pair (acquireSync + release)',
      (i) => {
        lf.acquireSync(i, { write: true });
        lf.release(i);
      },
    ],
  ];
  const results = new Map<string, number[]>(shapes.map(([name]) => [name, []]));
  for (let rep = 0; rep < REPS; rep++) {
    // Interleaved, so machine noise hits every shape alike.
    for (const [name, pair] of shapes) results.get(name)!.push(await timed(pair));
  }
  if (lf.held().length !== 0) throw new Error('bench left locks held');
  lf.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const figures = shapes.map(([name]) => [name, median(results.get(name)!)] as const);
  for (const [name, us] of figures) console.log(`${name.padEnd(40)} ${us.toFixed(2)} µs/pair`);
  const handle = figures[0][1];
  const owner = figures[1][1];
  console.log(`handle pair / owner pair: ${(handle / owner).toFixed(2)}x (target <= 1.5x)`);
}

void main();
