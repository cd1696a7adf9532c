/**
 * The {@link LockEngine} of `locksfile FILE`: a range of lock indices of a {@link LocksFile}
 * (Linux OFD byte-range locks), so the command line excludes library users and Python
 * `fcntl.lockf` users of the same indices.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { LockBusyError, LockTimeoutError } from '../errors/errors';
import { LocksFile } from '../locks-file/locks-file';
import type { Range } from '../args/spec';
import type { CliMode, HeldLock, LockEngine, WaitPlan } from './engine';
import { commandOf, fdHolders, kernelLocks, sameLock } from './proc-locks';

/** `index 5` or `indices 5..9`. */
export function describeRange(range: Range): string {
  return range.count === 1 ? `index ${range.start}` : `indices ${range.start}..${range.start + range.count - 1}`;
}

/** `pid 123 (python3 -u hold.py)`, or `pid 123` when its command line is unreadable. */
export function describePid(pid: number): string {
  const command = commandOf(pid);
  return command === null ? `pid ${pid}` : `pid ${pid} (${command})`;
}

/** Locks a range of a lock file. */
export class FileEngine implements LockEngine {
  readonly target: string;
  readonly #file: LocksFile;

  /** Opens (creating if missing) the lock file; throws `LockPathError` when it cannot. */
  constructor(
    path: string,
    private readonly range: Range,
  ) {
    this.#file = new LocksFile(path);
    this.target = `${path} ${describeRange(range)}`;
  }

  async acquire(plan: WaitPlan, signal: AbortSignal): Promise<HeldLock | null> {
    try {
      const handle = await this.#file.lock(this.range, { write: plan.mode === 'exclusive', timeout: plan.timeoutMs, signal });
      return { release: async () => handle.release() };
    } catch (err) {
      if (err instanceof LockBusyError || err instanceof LockTimeoutError || signal.aborted) return null;
      throw err;
    }
  }

  async blockers(mode: CliMode): Promise<string> {
    const key = fs.statSync(this.#file.path);
    const end = this.range.start + this.range.count;
    const blocking = kernelLocks(key)
      .filter((l) => !l.blocked && l.start < end && (l.end === null || l.end > this.range.start) && (mode === 'exclusive' || l.write))
      .sort((a, b) => a.start - b.start);
    if (blocking.length === 0) return 'nobody now';
    const owners = blocking.some((l) => l.pid === null) ? fdHolders(key) : [];
    return blocking
      .map((l) => {
        const pids = l.pid !== null ? [l.pid] : [...new Set(owners.filter((o) => sameLock(o.lock, l)).map((o) => o.pid))];
        const who = pids.length === 0 ? 'a process not visible to this user' : pids.map(describePid).join(', ');
        const range = l.end === null ? `indices ${l.start}..EOF` : describeRange({ start: l.start, count: l.end - l.start });
        return `${l.write ? 'an exclusive' : 'a shared'} lock on ${range} of ${who}`;
      })
      .join('; ');
  }

  async close(): Promise<void> {
    this.#file.close();
  }
}
