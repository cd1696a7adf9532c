/**
 * `LocksFile`: many indexed read/write locks in one lock file. Lock index `n` is byte `n` of
 * the file; a lock on indices `[start, start + count)` is one kernel byte-range lock.
 *
 * Owner model: every instance has its own open file description (Linux OFD locks). Two
 * instances exclude each other exactly like two processes, in one thread, across worker
 * threads or across processes; closing one never drops another's locks; the kernel drops an
 * instance's locks when its process dies. Inside one instance, every handle request
 * (`lock`, `lockSync`, `withLock`) is its own scope and excludes the others like a separate
 * owner would; `acquire`/`acquireSync`/`release` act for one more scope, the owner scope,
 * with pylocksfile's conversion and partial release (see `owner-locks.ts`).
 *
 * This file is the facade: it validates every argument once and hands the request to the
 * one internal acquire (`acquirer.ts`).
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import {
  type Acquire,
  type AcquireOptions,
  type LockSpec,
  type Range,
  toAcquire,
  toBoolean,
  toChoice,
  toFunction,
  toOptions,
  toRange,
  toPath,
  toString,
} from '../args/spec';
import { LockCanceledError, LockClosedError, type LockError } from '../errors/errors';
import { createLogger, type Logger, toLogger } from '../logger';
import type { Backend } from '../sys/fcntl';
import { abortError, describeRange, notAcquired } from '../errors/acquire-error';
import { Acquirer } from './acquirer';
import { FairQueue } from './fair-queue';
import { OwnerFile } from './owner-file';
import { Holding, OwnerLocks, type Scope } from './owner-locks';
import { type Outcome } from './request-queue';

/** Options of the {@link LocksFile} constructor. */
export interface LocksFileOptions {
  /** A name for this owner in log lines. Default: a random uuid. */
  readonly id?: string;
  /** Where to log. Default: nothing, or a debug logger on stderr when `verbose`. */
  readonly logger?: Logger;
  /** Log every acquire and release at debug level. Default false. */
  readonly verbose?: boolean;
  /**
   * Kernel lock family: `'ofd'` (Linux open-file-description locks, default where available)
   * or `'posix'` (classic process-owned record locks, the fallback on kernels without OFD;
   * announced through `logger.warn`; see the README for what that backend cannot guarantee).
   */
  readonly backend?: Backend;
  /**
   * Fair hand-over (default true; OFD backend only): while another owner using the queue waits
   * for an overlapping range, a request of this instance is not granted before it, even when
   * the range is free at that instant; it queues behind, and readers that ask after a waiting
   * writer wait for it. `false` keeps the kernel's plain behaviour ("barging"): whoever retries
   * first wins (the releaser usually), for the highest throughput and the cheapest uncontended
   * acquire. See the README's "Fairness".
   */
  readonly fair?: boolean;
}

/** A range of lock indices this instance holds. */
export interface HeldRange {
  /** First lock index of the range. */
  readonly start: number;
  /** Number of consecutive indices, at least 1. */
  readonly count: number;
  /** True for a write (exclusive) lock, false for a read (shared) lock. */
  readonly write: boolean;
}

/** Another owner's lock that blocks a request, as {@link LocksFile.probe} reports it. */
export interface Holder {
  /** First lock index of the blocking lock. */
  readonly start: number;
  /** `Infinity` when the holder locked "to the end of the file" (length 0). */
  readonly count: number;
  /** True when the holder has a write lock (it blocks readers too), false for a read lock. */
  readonly write: boolean;
  /** Holder's pid for POSIX locks (e.g. a Python pylocksfile process); -1 for OFD holders. */
  readonly pid: number;
}

/**
 * One acquired range, its own exclusion scope: released exactly once by `release()` or by
 * `using` / `await using`, which frees what this handle holds and nothing another handle or
 * the owner scope holds, even where they overlap in read mode.
 */
export interface LockHandle {
  /** First lock index of the range this handle holds. */
  readonly start: number;
  /** Number of indices it holds, at least 1. */
  readonly count: number;
  /** True for a write (exclusive) lock, false for a read (shared) lock. */
  readonly write: boolean;
  /** Releases this handle's range (no-op the second time, or after the instance closed). */
  release(): void;
  /** Same as {@link release}, for `using`. */
  [Symbol.dispose](): void;
  /** Same as {@link release}, for `await using`; resolves once released. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A handle is the holding it stands for, plus its release. */
class Handle extends Holding implements LockHandle {
  #released = false;
  readonly #drop: (handle: Handle) => void;

  constructor(range: Range, write: boolean, drop: (handle: Handle) => void) {
    super(range.start, range.count, write);
    this.#drop = drop;
  }

  /** Bound, so that it also works passed on as a callback (`signal.onabort = h.release`). */
  readonly release = (): void => {
    if (this.#released) return;
    this.#released = true;
    this.#drop(this);
  };

  [Symbol.dispose](): void {
    this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

/**
 * Indexed read/write locks in one lock file: index `n` is byte `n`, a range is one kernel
 * byte-range lock. Each instance is one lock owner (its own open file description): two
 * instances exclude each other like two processes, and the kernel drops an instance's locks
 * when its process dies. Inside an instance, every `lock`/`lockSync`/`withLock` call is its
 * own scope that excludes the others; `acquire`/`acquireSync`/`release` act for one more
 * scope, the owner scope, with pylocksfile's conversion and partial release.
 */
export class LocksFile {
  /** The lock file's path. */
  readonly path: string;
  /** This owner's name in log lines. */
  readonly id: string;
  /** Kernel lock family in use. */
  readonly backend: Backend;
  /** Whether requests go through the fair queue (option `fair`, OFD backend). */
  readonly fair: boolean;
  #closed = false;
  readonly #file: OwnerFile;
  readonly #locks: OwnerLocks;
  readonly #acquirer: Acquirer;
  readonly #debug: ((message: string) => void) | undefined;

  /**
   * Opens (creating if missing, never truncating or writing) the lock file at `path`, or a
   * fresh file in `os.tmpdir()` when `path` is omitted. Refuses symlinks (O_NOFOLLOW) and
   * anything that is not a regular file with a {@link LockPathError}. A file this process
   * may only read is opened read-only: read locks work, write locks throw.
   */
  constructor(path?: string, options?: LocksFileOptions) {
    const opts = toOptions(options);
    const resolved = path === undefined ? nodePath.join(os.tmpdir(), `locksfile-${randomUUID()}.lock`) : toPath(path, 'path');
    this.id = toString(opts.id, 'options.id', randomUUID());
    const verbose = toBoolean(opts.verbose, 'options.verbose', false);
    const fair = toBoolean(opts.fair, 'options.fair', true);
    const logger = toLogger(opts.logger, 'options.logger') ?? (verbose ? createLogger('locksfile', 'debug') : undefined);
    const backend = toChoice<Backend>(opts.backend, 'options.backend', ['ofd', 'posix']);
    this.path = resolved;
    this.#debug = logger === undefined ? undefined : (message) => logger.debug(`[${this.id}] ${message}`);
    this.#file = new OwnerFile(resolved, backend, logger);
    this.backend = this.#file.backend;
    this.#locks = new OwnerLocks(this.#file);
    this.fair = fair && this.backend === 'ofd';
    this.#acquirer = new Acquirer(this.#file, this.#locks, this.#debug, this.fair ? new FairQueue(this.#file) : undefined);
    this.#debug?.(`opened ${resolved} (${this.backend}${this.#file.writable ? '' : ', read-only'})`);
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Owner scope: acquires a read (default) or write lock on `spec`, blocking the calling
   * thread while another owner holds a conflicting lock. Returns true when held; false when
   * `blocking: false` found it busy or `timeout` (ms, counted once from the call) ran out.
   * Acquiring over the owner scope's own locks converts the overlap to the requested mode (the
   * last acquire wins); a conversion that is not granted leaves the previous locks in place.
   *
   * Throws {@link LockBusyError} when an async acquire of this instance on an overlapping range
   * is still in flight, or when a handle of this instance holds a conflicting lock (a sync
   * call cannot wait for its own thread); with `blocking: false` or `timeout: 0` the latter
   * answers false instead.
   */
  acquireSync(spec: LockSpec = 0, options?: Omit<AcquireOptions, 'signal'>): boolean {
    const range = toRange(spec);
    const opts = toAcquire(options, false);
    this.#assertUsable(opts.write);
    const granted = this.#acquirer.acquireSync(undefined, range, opts) === 'granted';
    if (!granted) this.#debug?.(`acquireSync ${describeRange(range, opts.write)}: not acquired`);
    return granted;
  }

  /**
   * Owner scope, async {@link acquireSync}: resolves true when held, false when
   * `blocking: false` found the range busy or `timeout` (ms) ran out. The wait happens in the
   * kernel's own queue on a waiter thread, never on the event loop or the libuv pool, and the
   * holder's release hands the lock over at once. A blocking request keeps nothing of its
   * range while it waits: it is granted whole, as one `F_OFD_SETLKW` on the range would be.
   *
   * Rejects with a `LockAbortError` (name `'AbortError'`, `cause` = the signal's reason)
   * when `signal` aborts, without touching the kernel if it already had; with
   * {@link LockClosedError} when the instance is closed meanwhile; with
   * {@link LockCanceledError} when this instance's {@link release} frees an overlapping range
   * while the request waits. Concurrent requests of one instance on overlapping ranges are
   * applied in call order, even when one of them is abandoned; on disjoint ranges they wait
   * independently. Nothing of a request that timed out, aborted or was cancelled stays held.
   */
  acquire(spec: LockSpec = 0, options?: AcquireOptions): Promise<boolean> {
    return this.#acquire(
      spec,
      options,
      () => undefined,
      (outcome) => (outcome === 'granted' ? true : outcome === 'busy' || outcome === 'timeout' ? false : outcome),
    );
  }

  /**
   * A new handle scope for `spec`, blocking the calling thread while another owner holds a
   * conflicting lock: throws {@link LockTimeoutError} when the timeout ran out,
   * {@link LockBusyError} when `blocking: false` found it busy, and also at once when another
   * handle or the owner scope of this instance holds a conflicting lock or an async request
   * of this instance on an overlapping range is in flight (a sync call cannot wait for its
   * own thread).
   */
  lockSync(spec: LockSpec = 0, options?: Omit<AcquireOptions, 'signal'>): LockHandle {
    const range = toRange(spec);
    const opts = toAcquire(options, false);
    this.#assertUsable(opts.write);
    const handle = new Handle(range, opts.write, this.#dropHandle);
    const outcome = this.#acquirer.acquireSync(handle, range, opts);
    if (outcome !== 'granted') throw notGranted(range, opts, outcome);
    return handle;
  }

  /**
   * A new handle scope for `spec`: resolves to a handle for `await using` once held. Two
   * handle requests of one instance exclude each other like two owners (write/write and
   * read/write conflict, read/read share), and queue in call order. Rejects with
   * {@link LockTimeoutError} when the timeout ran out, {@link LockBusyError} when
   * `blocking: false` found it busy (another owner, or another scope of this instance), and
   * otherwise like {@link acquire}.
   */
  lock(spec: LockSpec = 0, options?: AcquireOptions): Promise<LockHandle> {
    let handle: Handle | undefined;
    return this.#acquire(
      spec,
      options,
      (range, opts) => (handle = new Handle(range, opts.write, this.#dropHandle)),
      (outcome, range, opts) => (outcome === 'granted' ? (handle as Handle) : notGranted(range, opts, outcome)),
    );
  }

  /**
   * Runs `fn` holding `spec` (default index 0, read) as its own handle scope (see
   * {@link lock}), then releases exactly that handle, whether `fn` returns, throws or
   * rejects. The callback is always the last argument: `withLock(fn)`, `withLock(spec, fn)`
   * or `withLock(spec, options, fn)`. Rejects like {@link lock} when the lock is not
   * acquired (then `fn` does not run).
   */
  withLock<T>(fn: () => T | PromiseLike<T>): Promise<T>;
  withLock<T>(spec: LockSpec, fn: () => T | PromiseLike<T>): Promise<T>;
  withLock<T>(spec: LockSpec, options: AcquireOptions | undefined, fn: () => T | PromiseLike<T>): Promise<T>;
  async withLock<T>(...args: unknown[]): Promise<T> {
    const run = toFunction<() => T | PromiseLike<T>>(args[args.length - 1], 'fn');
    const [spec = 0, options] = args.slice(0, -1) as [LockSpec?, AcquireOptions?];
    const handle = await this.lock(spec, options);
    try {
      return await run();
    } finally {
      handle.release();
    }
  }

  /**
   * The one async entry: validates, then hands a request for `scopeOf(range, opts)` to the
   * acquirer; `answer` turns its outcome into the caller's value or error.
   */
  #acquire<T>(
    spec: LockSpec,
    options: AcquireOptions | undefined,
    scopeOf: (range: Range, opts: Acquire) => Scope,
    answer: (outcome: Outcome, range: Range, opts: Acquire) => T | Error,
  ): Promise<T> {
    let range: Range;
    let opts: Acquire;
    try {
      range = toRange(spec);
      opts = toAcquire(options, true);
      this.#assertUsable(opts.write);
    } catch (err) {
      return Promise.reject(err);
    }
    if (opts.signal?.aborted === true) return Promise.reject(abortError(opts.signal));
    return new Promise<T>((resolve, reject) => {
      const finish = (outcome: Outcome): void => {
        const value = answer(outcome, range, opts);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      this.#acquirer.acquire(scopeOf(range, opts), range, opts, finish);
    });
  }

  /** A handle's release: frees its holding (never another scope's) and lets queued requests move. */
  readonly #dropHandle = (handle: Handle): void => {
    if (this.#closed) return;
    this.#locks.releaseHandle(handle);
    this.#acquirer.noteRelease(handle.start, handle.end);
    this.#afterRelease();
    this.#debug?.(`released ${describeRange(handle)} (handle)`);
  };

  /**
   * Owner scope: releases `spec`, or everything the owner scope holds when omitted; handles
   * keep their ranges. Releasing what is not held is a no-op. Pending owner-scope acquires
   * ({@link acquire}) of this instance that overlap the range are cancelled (they reject with
   * {@link LockCanceledError}); `release()` with no argument cancels all of them.
   */
  release(spec?: LockSpec): void {
    const range = spec === undefined ? undefined : toRange(spec);
    this.#assertOpen();
    const start = range?.start ?? 0;
    const end = range === undefined ? Number.MAX_SAFE_INTEGER : range.start + range.count;
    this.#acquirer.queue.abandonWhere(
      (r) => r.scope === undefined && r.overlaps(start, end),
      (r) => new LockCanceledError(`acquire of ${describeRange(r)} cancelled by release of an overlapping range`),
    );
    this.#locks.releaseOwner(start, end);
    this.#acquirer.noteRelease(start, end);
    this.#afterRelease();
    this.#debug?.(`released ${range === undefined ? 'everything' : describeRange(range)}`);
  }

  #afterRelease(): void {
    if (this.#locks.empty) this.#file.replaced = false;
    this.#acquirer.queue.pump();
  }

  /** Everything this instance holds (owner scope and live handles), merged and sorted. */
  held(): HeldRange[] {
    this.#assertOpen();
    return this.#locks.union().map((s) => ({ start: s.start, count: s.end - s.start, write: s.write }));
  }

  /**
   * The first lock of another owner that would block a request for `spec` in the given mode
   * (default read), or null when it would be granted now. Changes nothing. Locks of this
   * instance's own scopes are not reported.
   */
  probe(spec: LockSpec = 0, options?: { readonly write?: boolean }): Holder | null {
    const range = toRange(spec);
    const write = toBoolean(toOptions(options).write, 'options.write', false);
    this.#assertOpen();
    return this.#file.conflict(write, range.start, range.count);
  }

  /**
   * Releases everything and closes the file. Pending requests reject with
   * {@link LockClosedError}; the descriptor itself closes as soon as their waiter threads
   * have let go of it (immediately when none wait). Idempotent. Any other call afterwards
   * throws {@link LockClosedError}; handle releases become no-ops.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const queue = this.#acquirer.queue;
    queue.stop(new LockClosedError(`${this.path}: closed while an acquire was pending`));
    try {
      this.#locks.releaseAll();
    } finally {
      if (queue.size + queue.pending === 0) this.#file.close();
      else void queue.onIdle().then(() => this.#file.close());
      this.#debug?.('closed');
    }
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new LockClosedError(`${this.path}: this LocksFile is closed`);
  }

  /** Open, not compromised by a replaced file, and able to take the requested mode. */
  #assertUsable(write: boolean): void {
    this.#assertOpen();
    if (this.#file.replaced) throw this.#file.replacedError();
    this.#file.assertMode(write);
  }
}

/** The error of an acquire that ended without the lock: its own error, or busy/timeout. */
function notGranted(range: Range, opts: Pick<Acquire, 'write' | 'timeout'>, outcome: Outcome): LockError | Error {
  return outcome instanceof Error ? outcome : notAcquired(range, opts, outcome === 'busy');
}
