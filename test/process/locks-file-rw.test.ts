/**
 * Readers/writers invariant across real processes: 4 children (2 on the sync API, 2 on the
 * async API) take random read or write locks on random intervals of 64 indices, record
 * their presence in a shared state file under a separate "state" lock on a high index of
 * the same lock file, and check while holding that no writer overlaps another holder and no
 * reader overlaps a writer (test/fixtures/lf-rw.ts). Violations must be 0; readers must
 * actually have shared indices (otherwise read locks would be acting as write locks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type LineChild, spawnNode } from '../helpers/children';
import { useScratchDir } from '../helpers/scratch';
import { fixture } from '../helpers/paths';

const OPS = 1000;
const APIS = ['sync', 'async', 'sync', 'async'] as const;
const RUN_BOUND_MS = 60_000;

interface Report {
  ops: number;
  reads: number;
  writes: number;
  downgrades: number;
  violations: number;
  maxReaders: number;
  problems: string[];
}

const scratch = useScratchDir();

test('random readers and writers on 64 indices: no overlap ever observed, readers do share', async () => {
  const lockPath = path.join(scratch(), 'rw.lock');
  const statePath = path.join(scratch(), 'state.bin');
  fs.writeFileSync(statePath, Buffer.alloc(64 * 8));
  const seed = Date.now() % 1_000_000;
  const children: LineChild[] = APIS.map((api, i) => spawnNode(fixture('lf-rw'), [lockPath, statePath, String(OPS), String(seed + i), api]));
  for (const c of children) expect(await c.takeLine()).toBe('ready');
  for (const c of children) c.send('go');
  const reports: Report[] = [];
  for (const c of children) reports.push(JSON.parse(await c.takeLine(undefined, RUN_BOUND_MS)) as Report);
  for (const c of children) expect(await c.waitExit()).toEqual({ code: 0, signal: null });

  const summary = { seed, ops: 0, reads: 0, writes: 0, downgrades: 0, violations: 0, maxReaders: 0, problems: [] as string[] };
  for (const r of reports) {
    summary.ops += r.ops;
    summary.reads += r.reads;
    summary.writes += r.writes;
    summary.downgrades += r.downgrades;
    summary.violations += r.violations;
    summary.maxReaders = Math.max(summary.maxReaders, r.maxReaders);
    summary.problems.push(...r.problems);
  }
  // The seed and counts are in the failure message when anything below breaks.
  expect(summary).toMatchObject({ violations: 0, ops: OPS * APIS.length, problems: [] });
  expect(summary.reads).toBeGreaterThan(0);
  expect(summary.writes).toBeGreaterThan(0);
  expect(summary.downgrades).toBeGreaterThan(0);
  expect(summary.maxReaders).toBeGreaterThanOrEqual(2);
  // Every record was removed again: the state file is all zeros.
  expect(fs.readFileSync(statePath).equals(Buffer.alloc(64 * 8))).toBe(true);
});
