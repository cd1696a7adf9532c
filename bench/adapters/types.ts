/**
 * The common interface every Node lock implementation is driven through.
 *
 * A handle is opened for one lock path. `index` selects lock n of an indexed implementation
 * (byte n of the lock file); whole-file implementations accept only index 0. `write` selects an
 * exclusive (true) or shared (false) lock; implementations without shared locks take
 * `write: false` as exclusive and are never used where sharing matters.
 *
 * @packageDocumentation
 */

/** A handle whose calls block the calling thread until done. */
export interface SyncHandle {
  readonly mode: 'sync';
  /** Takes lock `[index, index + len)` (default len 1), waiting as long as needed; `false` means it was not taken. */
  acquire(index: number, write: boolean, len?: number): boolean | void;
  /** Releases a lock taken by this handle (same index and len). */
  release(index: number, len?: number): void;
  /** Releases everything and closes descriptors. */
  close(): void;
}

/** A handle whose acquire returns a promise (the event loop keeps running while waiting). */
export interface AsyncHandle {
  readonly mode: 'async';
  /** Takes lock `[index, index + len)` (default len 1), waiting as long as needed; resolving `false` means it was not taken. */
  acquire(index: number, write: boolean, len?: number): Promise<boolean | void>;
  /** Releases a lock taken by this handle (same index and len; may complete synchronously). */
  release(index: number, len?: number): Promise<void> | void;
  /** Releases everything and closes descriptors. */
  close(): Promise<void> | void;
}

/** Any handle. */
export type LockHandle = SyncHandle | AsyncHandle;

/** Opens handles of one implementation. */
export interface LockAdapter {
  /** Catalog id of the implementation. */
  readonly id: string;
  /** Opens a handle on `path` (each handle is its own lock owner). */
  open(path: string): LockHandle;
}

/** The error to throw when an acquire that should wait reported failure. */
export function notAcquired(id: string, index: number): Error {
  return new Error(`${id}: acquire(${index}) returned false although it should wait`);
}

/** Throws for whole-file implementations asked for an index other than 0 or a range. */
export function checkWholeFile(id: string, index: number, len = 1): void {
  if (index !== 0 || len !== 1) throw new Error(`${id} locks whole files only; [${index}, ${index + len}) is not supported`);
}

/** Acquire and release of any handle as promises (a sync handle blocks inside the call). */
export interface AwaitableLock {
  acquire(index: number, write: boolean, len?: number): Promise<void>;
  release(index: number, len?: number): Promise<void>;
}

/** `h` behind promise-returning calls; an acquire that reports `false` throws. */
export function awaitable(h: LockHandle, id: string): AwaitableLock {
  return {
    async acquire(index, write, len) {
      const ok = h.mode === 'sync' ? h.acquire(index, write, len) : await h.acquire(index, write, len);
      if (ok === false) throw notAcquired(id, index);
    },
    async release(index, len) {
      await h.release(index, len);
    },
  };
}
