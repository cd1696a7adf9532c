/**
 * Crash safety of the fair queue (issue 10): an owner SIGKILLed in any phase of the queue
 * protocol never blocks anyone. Four fair owners (sync and async, one process each) loop on
 * overlapping ranges `[0, k + 1)`, k = 0..3; the test watches `/proc/locks` and SIGKILLs the
 * owner it sees in a given phase, replaces it, and checks that every other owner is still
 * granted and that a fresh fair acquire of all four indices is granted within a loose bound
 * (10 s, thousands of times a hand-over).
 *
 * A phase is what the kernel shows of one owner: the plane of a lock (`index` for the user
 * indices; `2^e` for a queue plane at offset 2^e and up, e >= 53, where index i of a range
 * maps to 2^e + 2^(e - 52) i, as in lib/locks-file/fair-queue.ts), held or blocked, read or
 * write. The owner is told by the length of the range (its `k + 1` indices).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { type LineChild, spawnNode } from '../helpers/children';
import { kernelLocks, type KernelLock } from '../helpers/kernel-locks';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

jest.setTimeout(120_000);

const OWNERS = 4;
const KILLS_PER_PHASE = 3;
const RUN_MS = 25_000;
/** Loose bound for a grant after a kill (a hang guard, 10x and more the normal wait). */
const BOUND_MS = 10_000;

const scratch = useScratchDir();

/** The phase a kernel lock shows and the owner (k) it belongs to, or undefined when its length fits no owner. */
function phaseOf(lock: KernelLock): { phase: string; owner: number } | undefined {
  const exponent = Math.floor(Math.log2(Math.max(1, lock.start)));
  const queue = exponent >= 53;
  const scale = queue ? 2 ** (exponent - 52) : 1;
  const owner = Math.round((lock.last + 1 - lock.start) / scale) - 1;
  if (!Number.isInteger(owner) || owner < 0 || owner >= OWNERS) return undefined;
  const plane = queue ? `2^${exponent}` : 'index';
  return { phase: `${plane} ${lock.blocked ? 'blocked' : 'held'} ${lock.write ? 'write' : 'read'}`, owner };
}

test('owners SIGKILLed in every phase of the queue protocol never block the others', async () => {
  const lockPath = path.join(scratch(), 'fair.lock');
  const start = async (k: number): Promise<LineChild> => {
    const child = spawnNode(fixture('lf-fair-loop'), [lockPath, k % 2 === 0 ? 'sync' : 'async', '0', String(k + 1)]);
    await child.takeLine((l) => l.includes('"event":"ready"'), BOUND_MS, 'ready');
    return child;
  };
  const owners: LineChild[] = [];
  for (let k = 0; k < OWNERS; k++) owners.push(await start(k));
  const kills = new Map<string, number>();
  const seen = new Set<string>();
  const probe = new LocksFile(lockPath, { fair: true });
  try {
    const until = Date.now() + RUN_MS;
    while (Date.now() < until) {
      const victim = kernelLocks(lockPath)
        .map(phaseOf)
        .find((p) => {
          if (p !== undefined) seen.add(p.phase);
          return p !== undefined && (kills.get(p.phase) ?? 0) < KILLS_PER_PHASE;
        });
      if (victim === undefined) {
        if ([...seen].every((p) => (kills.get(p) ?? 0) >= KILLS_PER_PHASE) && seen.size >= 6) break;
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const dead = owners[victim.owner];
      dead.kill('SIGKILL');
      await dead.exited;
      kills.set(victim.phase, (kills.get(victim.phase) ?? 0) + 1);
      // Nothing of the dead is in the way: every other owner is granted again, and so is a newcomer.
      for (const o of owners) if (o !== dead) await o.takeLine((l) => l.includes('"event":"progress"'), BOUND_MS, `progress after a kill in ${victim.phase}`);
      await expect(probe.acquire([0, OWNERS], { write: true, timeout: BOUND_MS })).resolves.toBe(true);
      probe.release();
      owners[victim.owner] = await start(victim.owner);
    }
  } finally {
    probe.close();
  }
  for (const o of owners) o.endInput();
  for (const o of owners) expect(await o.waitExit(BOUND_MS)).toEqual({ code: 0, signal: null });
  process.stdout.write(`fair kills by phase: ${JSON.stringify(Object.fromEntries(kills))}\n`);
  // The queue planes were really visited (a kill landed in at least three of their phases).
  expect([...kills.keys()].filter((p) => !p.startsWith('index')).length).toBeGreaterThanOrEqual(3);
  expect(fs.existsSync(lockPath)).toBe(true);
});
