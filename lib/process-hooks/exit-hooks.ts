/**
 * The exit hooks of `ShmLock.addExitHandlers()` as the facades use them: each call acts on
 * the calling thread's `ExitHookTable` (in its `ThreadState`), which says what the
 * hooks do and when.
 *
 * @packageDocumentation
 */
import type { Logger } from '../logger';
import type { ShmLockFile } from '../shm-lock/file';
import type { ExitHooks } from './exit-hook-table';
import { threadState } from './thread-state';

/** Sets which events release `file`, the file of `owner` (see `ExitHookTable.set`), for the calling thread. */
export function setExitHooks(owner: object, file: ShmLockFile, hooks: ExitHooks, logger: Logger | undefined): void {
  threadState().exitHooks.set(owner, file, hooks, logger);
}

/** Forgets `file`, the file of the closing `owner` (see `ExitHookTable.clear`), for the calling thread. */
export function clearExitHooks(owner: object, file: ShmLockFile): void {
  threadState().exitHooks.clear(owner, file);
}

/**
 * Runs `fn`, a synchronous wait, with the calling thread's signal hooks stepped aside where
 * they are the only listener (see `ExitHookTable.withoutSignalHooks`).
 */
export function withoutSignalHooks<T>(fn: () => T): T {
  return threadState().exitHooks.withoutSignalHooks(fn);
}
