/**
 * `locksfile FILE`: a range of lock indices of a local {@link LocksFile} (Linux OFD
 * byte-range locks), so the command excludes library users and Python `fcntl.lockf` users of
 * the same indices. Its holders are looked up in `/proc` (see `proc-locks.ts`).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import type { Range } from '../args/spec';
import { LocksFile } from '../locks-file/locks-file';
import type { CliMode, LockEngine } from './engine';
import { describePid, fdHolders, kernelLocks, sameLock } from './proc-locks';
import { describeRange, RangeEngine } from './range-engine';

/** Every granted lock on the file that blocks `range` in `mode`, with its processes, as text. */
function fileBlockers(path: string, range: Range, mode: CliMode): string {
  const key = fs.statSync(path);
  const end = range.start + range.count;
  const blocking = kernelLocks(key)
    .filter((l) => !l.blocked && l.start < end && (l.end === null || l.end > range.start) && (mode === 'exclusive' || l.write))
    .sort((a, b) => a.start - b.start);
  if (blocking.length === 0) return 'nobody now';
  const owners = blocking.some((l) => l.pid === null) ? fdHolders(key) : [];
  return blocking
    .map((l) => {
      const pids = l.pid !== null ? [l.pid] : [...new Set(owners.filter((o) => sameLock(o.lock, l)).map((o) => o.pid))];
      const who = pids.length === 0 ? 'a process not visible to this user' : pids.map(describePid).join(', ');
      const where = l.end === null ? `indices ${l.start}..EOF` : describeRange({ start: l.start, count: l.end - l.start });
      return `${l.write ? 'an exclusive' : 'a shared'} lock on ${where} of ${who}`;
    })
    .join('; ');
}

/** Opens (creating if missing) the lock file; throws `LockPathError` when it cannot. */
export function openFileEngine(path: string, range: Range): LockEngine {
  const file = new LocksFile(path);
  return new RangeEngine(file, range, `${path} ${describeRange(range)}`, async (mode) => fileBlockers(file.path, range, mode));
}
