/**
 * Exclusion across real processes and worker threads: every child increments one counter
 * file inside `request('counter', ...)` with a yield between read and write, so any overlap
 * of two holders loses an increment. The total must come out exact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnNode } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

/** Hang guard for a whole run (it normally takes a few seconds on a busy 2-core machine). */
const RUN_BOUND_MS = 50_000;

const scratch = useScratchDir('locksfile-lm-');

/** One child: how many worker threads (0: the main thread) and which API. */
type Child = readonly [threads: number, how: 'async' | 'sync' | 'handle'];

async function race(spec: readonly Child[], iterations: number): Promise<number> {
  const registry = path.join(scratch(), 'ns.locks');
  const counter = path.join(scratch(), 'counter.txt');
  fs.writeFileSync(counter, '0'.padStart(16, '0'));
  const children = spec.map(([threads, how]) => spawnNode(fixture('lock-manager-counter'), [registry, counter, String(iterations), String(threads), how]));
  for (const c of children) expect(await c.takeLine()).toBe('ready');
  for (const c of children) c.send('go');
  for (const c of children) expect(await c.takeLine(undefined, RUN_BOUND_MS)).toBe('done');
  for (const c of children) expect(await c.waitExit()).toEqual({ code: 0, signal: null });
  return Number.parseInt(fs.readFileSync(counter, 'latin1'), 10);
}

test('4 processes x 200 increments under request("counter") are exact', async () => {
  expect(
    await race(
      [
        [0, 'async'],
        [0, 'async'],
        [0, 'async'],
        [0, 'async'],
      ],
      200,
    ),
  ).toBe(800);
});

test('lock() handles (withLock) and request() exclude each other: 4 processes x 200 increments are exact', async () => {
  expect(
    await race(
      [
        [0, 'handle'],
        [0, 'handle'],
        [0, 'async'],
        [0, 'async'],
      ],
      200,
    ),
  ).toBe(800);
});

test('2 processes x 2 worker threads x 100 increments under request("counter") are exact', async () => {
  expect(
    await race(
      [
        [2, 'async'],
        [2, 'async'],
      ],
      100,
    ),
  ).toBe(400);
});

test('requestSync and request exclude each other: 2 + 2 processes (one sync child in threads) x 200 are exact', async () => {
  expect(
    await race(
      [
        [0, 'sync'],
        [0, 'async'],
        [2, 'sync'],
        [0, 'async'],
      ],
      200,
    ),
  ).toBe(1000);
});
