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
import { commandOf, fdHolders, type KernelLock } from './proc-locks';

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
    const holder = this.#file.probe(this.range, { write: mode === 'exclusive' });
    if (holder === null) return 'nobody now';
    const what = `${holder.write ? 'an exclusive' : 'a shared'} lock on ${describeRange({ start: holder.start, count: Number.isFinite(holder.count) ? holder.count : 1 })}${Number.isFinite(holder.count) ? '' : '..EOF'}`;
    if (holder.pid > 0) return `${what} of ${describePid(holder.pid)}`;
    const end = this.range.start + this.range.count;
    const blocks = (lock: KernelLock): boolean =>
      lock.start < end && (lock.end === null || lock.end > this.range.start) && (mode === 'exclusive' || lock.write);
    const pids = new Set(fdHolders(fs.statSync(this.#file.path)).filter((h) => blocks(h.lock)).map((h) => h.pid));
    return pids.size === 0 ? `${what} (holder not visible to this user)` : `${what} of ${[...pids].map(describePid).join(', ')}`;
  }

  async close(): Promise<void> {
    this.#file.close();
  }
}
