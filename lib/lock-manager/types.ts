/**
 * The Web Locks shapes (W3C Web Locks API) shared by every lock manager of this package:
 * the local {@link LockManager} (processes and threads of one machine) and the PostgreSQL
 * one (`locksfile/postgres`). One definition, so both engines and the CLI agree.
 *
 * @packageDocumentation
 */

/** `'exclusive'`: one holder at a time; `'shared'`: any number of shared holders together. */
export type LockMode = 'exclusive' | 'shared';

/** The lock a granted request's callback receives (W3C `Lock`). */
export interface Lock {
  /** The name the lock was requested under. */
  readonly name: string;
  /** The mode it was granted in. */
  readonly mode: LockMode;
}

/** Options of `request(name, options, callback)` (W3C `LockOptions`). */
export interface LockRequestOptions {
  /** Default `'exclusive'`. */
  readonly mode?: LockMode;
  /** Grant only if available now; otherwise the callback gets `null` and nothing is queued. */
  readonly ifAvailable?: boolean;
  /** Release every holder of the name at once and grant this request first (exclusive only). */
  readonly steal?: boolean;
  /** Aborting before the grant removes the request from the queue and rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** The callback of `request()`: runs while the lock is held, until its returned promise settles. */
export type LockGrantedCallback<T> = (lock: Lock | null) => T | PromiseLike<T>;

/** One entry of a {@link LockManagerSnapshot}. */
export interface LockInfo {
  /** The requested lock name. */
  readonly name: string;
  /** The requested (or granted) mode. */
  readonly mode: LockMode;
  /** The `clientId` of the manager that holds or waits. */
  readonly clientId: string;
}

/** What `query()` returns: held locks and pending requests of the whole namespace, pending in queue order per name. */
export interface LockManagerSnapshot {
  /** Requests holding their lock now. */
  readonly held: LockInfo[];
  /** Requests waiting, in the order they will be granted (per name). */
  readonly pending: LockInfo[];
}

/** The surface every lock manager of this package implements (local and PostgreSQL). */
export interface LockManagerLike {
  /** The id this manager reports in {@link LockManagerSnapshot} entries. */
  readonly clientId: string;
  /**
   * Runs `callback` holding the lock `name` (or with `null` when `ifAvailable` found it
   * taken) and settles with the callback's outcome once the lock is released (W3C
   * `LockManager.request`); the callback is last.
   */
  request<T>(name: string, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  /** {@link request} with `mode`, `ifAvailable`, `steal` or `signal`; the callback stays last. */
  request<T>(name: string, options: LockRequestOptions, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  /** Held locks and pending requests of the whole namespace, at the moment of the call. */
  query(): Promise<LockManagerSnapshot>;
}
