/**
 * ShmLock parts of the reliability suite: the ShmLock rounds of the stress workload and the
 * hostile-name cases (the fuzz targets are in rel-fuzz.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShmLock } from 'locksfile';
import { Phase, type Ledger } from './rel-ledger';
import type { Random } from './random';
import { sleepSync } from './sleep';

export interface ShmParticipant {
  round(): Promise<void>;
  close(): void;
}

/** The raw bytes under the name (null when absent): read only, never through the library. */
export function fileState(file: string): string | null {
  try {
    return fs.readFileSync(file).toString('hex');
  } catch {
    return null;
  }
}

/**
 * ShmLock rounds for one participant thread: acquire (sync or async; forever, try-once,
 * `true`, a few ms), mark, check that no other live participant marks the named lock, hold
 * a little, unmark, release (which must find its own file still in place).
 */
export function createShmParticipant(name: string, dir: string, ledger: Ledger, rnd: Random, stallMs: number, say: (line: string) => void): ShmParticipant {
  const lock = new ShmLock(name, { dir, pollInterval: 10 });
  const file = path.join(dir, name);
  const report = (kind: 'violation' | 'stall', detail: Record<string, unknown>): void => {
    if (kind === 'violation') ledger.counters.violations++;
    else ledger.counters.stalls++;
    ledger.flush();
    say(`${kind} ${JSON.stringify({ pid: process.pid, slot: ledger.slot, shm: true, ...detail })}`);
  };
  const verify = (where: string): void => {
    const conflicts = ledger.check();
    if (conflicts.length > 0) report('violation', { where, conflicts });
    if (!lock.acquired) report('violation', { where, acquired: false });
  };
  return {
    async round(): Promise<void> {
      const useAsync = rnd.chance(0.5);
      const kind = rnd.pick(['forever', 'forever', 'once', 'true', 'ms']);
      const timeout = kind === 'forever' ? stallMs : kind === 'once' ? false : kind === 'true' ? true : 1 + rnd.int(30);
      ledger.phase(Phase.ShmWaiting);
      const before = fileState(file);
      const t0 = performance.now();
      const got = useAsync ? await lock.acquire(timeout) : lock.acquireSync(timeout);
      ledger.counters.shmOps++;
      ledger.counters.beat = Date.now();
      if (!got) {
        if (kind === 'forever') {
          // Waited the whole bound: a stall if the name was free, or if one holder (or one
          // empty, never completed file) kept it the whole time.
          const after = fileState(file);
          if (after === null || after === before) {
            report('stall', {
              op: `ShmLock.${useAsync ? 'acquire' : 'acquireSync'}`,
              waitedMs: Math.round(performance.now() - t0),
              fileBefore: before,
              fileAfter: after,
            });
          }
        }
        ledger.phase(Phase.Idle);
        ledger.flush();
        return;
      }
      ledger.counters.shmGrants++;
      ledger.markShm(true);
      ledger.phase(Phase.ShmHolding);
      ledger.flush();
      verify('after ShmLock acquire');
      const hold = rnd.int(3);
      if (rnd.chance(0.5)) sleepSync(hold);
      else await new Promise((resolve) => setTimeout(resolve, hold));
      verify('while holding the ShmLock');
      ledger.markShm(false);
      ledger.phase(Phase.ShmReleasing);
      if (!lock.release()) report('violation', { where: 'ShmLock release', freed: false, note: 'our lock file was deleted or replaced while we held it' });
      ledger.phase(Phase.Idle);
    },
    close(): void {
      lock.release(true);
    },
  };
}

/** Hostile-name cases (run by test/fixtures/rel-hostile.ts). */
export async function shmCase(kind: string, name: string, dir: string | undefined): Promise<Record<string, unknown>> {
  const lock = new ShmLock(name, dir === undefined ? {} : { dir });
  const out: Record<string, unknown> = { path: lock.path };
  if (kind === 'shm-acquire') {
    out.acquiredSync = lock.acquireSync(false);
    if (lock.acquired) lock.release();
    out.acquiredAsync = await lock.acquire(100);
    if (lock.acquired) lock.release();
  }
  return out;
}
