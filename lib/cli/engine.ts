/**
 * The small interface every lock the command line can take implements (a LocksFile range, a
 * ShmLock name, ...), so option handling, waiting, progress and running the command are
 * written once.
 *
 * @packageDocumentation
 */

/** `'exclusive'` (flock's `-x`, the default) or `'shared'` (`-s`). */
export type CliMode = 'exclusive' | 'shared';

/** How to wait for a lock. */
export interface WaitPlan {
  readonly mode: CliMode;
  /** Milliseconds to wait; 0 tries once (`-n`, `-w 0`); `undefined` waits without limit. */
  readonly timeoutMs: number | undefined;
}

/** A lock the engine granted. */
export interface HeldLock {
  /** Gives the lock back; called exactly once. */
  release(): Promise<void>;
}

/** One lock target of the command line. */
export interface LockEngine {
  /** What is locked, for messages, e.g. `/tmp/x.lock index 0`. */
  readonly target: string;
  /**
   * Acquires the target as `plan` says. Resolves the held lock, or `null` when the target
   * stayed busy for the whole wait or the wait was stopped by `signal` (the caller checks
   * `signal.aborted`). Rejects only for real failures (path, system errors); nothing is held
   * afterwards in every case but a resolved lock.
   */
  acquire(plan: WaitPlan, signal: AbortSignal): Promise<HeldLock | null>;
  /** Who holds the target in a way that blocks `mode` now, as readable text; best effort. */
  blockers(mode: CliMode): Promise<string>;
  /** Frees every resource of the engine (files, connections). Idempotent. */
  close(): Promise<void>;
}
