/**
 * The {@link LockEngine} for a range of lock indices of a `LocksFile`-like owner: the local
 * {@link LocksFile} (`locksfile FILE`) or a `PgLocksFile` (`locksfile --pg URL SPACE`).
 *
 * @packageDocumentation
 */
import type { AcquireOptions, LockSpec, Range } from '../args/spec';
import { LockBusyError, LockTimeoutError } from '../errors/errors';
import type { CliMode, HeldLock, LockEngine, WaitPlan } from './engine';

/** What the engine needs of an owner: `lock()` resolving a disposable handle, and `close()`. */
export interface RangeOwner {
  lock(spec: LockSpec, options: AcquireOptions): Promise<{ [Symbol.asyncDispose](): Promise<void> }>;
  close(): void | Promise<void>;
}

/** `index 5` or `indices 5..9`. */
export function describeRange(range: Range): string {
  return range.count === 1 ? `index ${range.start}` : `indices ${range.start}..${range.start + range.count - 1}`;
}

/** Locks `range` of `owner`; `blockers` tells who holds it (see {@link LockEngine.blockers}). */
export class RangeEngine implements LockEngine {
  constructor(
    private readonly owner: RangeOwner,
    private readonly range: Range,
    readonly target: string,
    readonly blockers: (mode: CliMode) => Promise<string>,
  ) {}

  async acquire(plan: WaitPlan, signal: AbortSignal): Promise<HeldLock | null> {
    try {
      const handle = await this.owner.lock(this.range, { write: plan.mode === 'exclusive', timeout: plan.timeoutMs, signal });
      return { release: () => handle[Symbol.asyncDispose]() };
    } catch (err) {
      if (err instanceof LockBusyError || err instanceof LockTimeoutError || signal.aborted) return null;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.owner.close();
  }
}
