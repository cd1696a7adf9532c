/**
 * Counter race across real processes: 4 children x 2,000 read-parse-write increments of one
 * counter file, each under a write lock on index 0 of a shared LocksFile, must come out
 * exact. With the sync API, the async API, and both mixed (they must exclude each other);
 * and again through the fair queue (`fair: true`, issue 10).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type LineChild, spawnNode } from '../helpers/children';
import { useScratchDir } from '../helpers/scratch';
import { fixture } from '../helpers/paths';

const PROCESSES = 4;
const ITERATIONS = 2000;
/** Hang guard for one child's whole run (it normally takes well under a second). */
const RUN_BOUND_MS = 30_000;

const scratch = useScratchDir();

async function race(modes: readonly ('sync' | 'async')[], iterations = ITERATIONS, fair: 'fair' | 'barging' | undefined = undefined): Promise<number> {
  const lockPath = path.join(scratch(), 'counter.lock');
  const counterPath = path.join(scratch(), 'counter.txt');
  fs.writeFileSync(counterPath, '0'.padStart(16, '0'));
  const children: LineChild[] = modes.map((mode) =>
    spawnNode(fixture('lf-counter'), [lockPath, counterPath, String(iterations), mode, ...(fair === undefined ? [] : [fair])]),
  );
  for (const c of children) expect(await c.takeLine()).toBe('ready');
  for (const c of children) c.send('go');
  for (const c of children) expect(await c.takeLine(undefined, RUN_BOUND_MS)).toBe(`done ${iterations}`);
  for (const c of children) expect(await c.waitExit()).toEqual({ code: 0, signal: null });
  return Number.parseInt(fs.readFileSync(counterPath, 'latin1'), 10);
}

test('acquireSync write lock: 4 processes x 2,000 increments are exact', async () => {
  expect(await race(Array<'sync'>(PROCESSES).fill('sync'))).toBe(PROCESSES * ITERATIONS);
});

test('await acquire() write lock: 4 processes x 2,000 increments are exact', async () => {
  expect(await race(Array<'async'>(PROCESSES).fill('async'))).toBe(PROCESSES * ITERATIONS);
});

test('sync and async owners exclude each other: 2 + 2 processes x 1,000 increments are exact', async () => {
  expect(await race(['sync', 'async', 'sync', 'async'], 1000)).toBe(PROCESSES * 1000);
});

describe('fair queue (fair: true)', () => {
  test('acquireSync: 4 processes x 2,000 increments are exact', async () => {
    expect(await race(Array<'sync'>(PROCESSES).fill('sync'), ITERATIONS, 'fair')).toBe(PROCESSES * ITERATIONS);
  });

  test('await acquire(): 4 processes x 2,000 increments are exact', async () => {
    expect(await race(Array<'async'>(PROCESSES).fill('async'), ITERATIONS, 'fair')).toBe(PROCESSES * ITERATIONS);
  });

  test('sync and async fair owners exclude each other: 2 + 2 processes x 1,000 increments are exact', async () => {
    expect(await race(['sync', 'async', 'sync', 'async'], 1000, 'fair')).toBe(PROCESSES * 1000);
  });
});
