/**
 * Random traffic from four processes on three names (shared and exclusive, ifAvailable,
 * aborts at random moments, several requests in flight per process): exclusive holders
 * increment a per-name counter with a yield between read and write, shared holders check
 * that nobody writes while they hold. Every counter must equal the exclusive grants reported,
 * and nothing is left in the registry afterwards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockManager } from 'locksfile';
import { type LineChild, spawnNode } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { freshSeed } from '../helpers/random';
import { useScratchDir } from '../helpers/scratch';

const PROCESSES = 4;
const OPERATIONS = 150;
const RUN_BOUND_MS = 50_000;
const scratch = useScratchDir('locksfile-lm-');

/** Starts the racers on fresh counters; returns them and the registry path. */
async function start(seed: number): Promise<{ children: LineChild[]; registry: string; dir: string }> {
  const dir = scratch();
  for (const name of ['alpha', 'beta', 'gamma']) fs.writeFileSync(path.join(dir, `${name}.count`), '0'.padStart(16, '0'));
  const registry = path.join(dir, 'ns.locks');
  const children = Array.from({ length: PROCESSES }, (_, i) =>
    spawnNode(fixture('lock-manager-stress'), [registry, dir, String(OPERATIONS), String(seed + i)]),
  );
  for (const c of children) expect(await c.takeLine()).toBe('ready');
  for (const c of children) c.send('go');
  return { children, registry, dir };
}

/** Reads a survivor's report and checks its clean exit. */
async function finish(child: LineChild): Promise<Record<string, number>> {
  const { increments } = JSON.parse(await child.takeLine(undefined, RUN_BOUND_MS)) as { increments: Record<string, number> };
  expect(await child.waitExit()).toEqual({ code: 0, signal: null });
  return increments;
}

async function expectEmpty(registry: string): Promise<void> {
  const observer = new LockManager({ path: registry });
  expect(await observer.query()).toEqual({ held: [], pending: [] });
  observer.close();
}

test('4 processes of random requests: counters exact, shared holders never see a writer', async () => {
  const seed = freshSeed();
  const { children, registry, dir } = await start(seed);
  const totals: Record<string, number> = { alpha: 0, beta: 0, gamma: 0 };
  for (const c of children) {
    for (const [name, n] of Object.entries(await finish(c))) totals[name] = (totals[name] ?? 0) + n;
  }
  for (const name of Object.keys(totals)) {
    expect({ seed, name, count: Number.parseInt(fs.readFileSync(path.join(dir, `${name}.count`), 'latin1'), 10) }).toEqual({ seed, name, count: totals[name] });
  }
  expect(Object.values(totals).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  await expectEmpty(registry);
});

test('two of the four killed with SIGKILL mid-traffic: the others finish, nothing is left behind', async () => {
  const seed = freshSeed();
  const { children, registry } = await start(seed);
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const c of children.slice(0, 2)) c.kill('SIGKILL');
  for (const c of children.slice(2)) await finish(c);
  await expectEmpty(registry);
});
