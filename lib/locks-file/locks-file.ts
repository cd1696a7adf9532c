/**
 * `LocksFile`: many indexed read/write locks in one lock file. Lock index `n` is byte `n` of
 * the file; a lock on indices `[start, start + count)` is one kernel byte-range lock.
 *
 * Owner model: every instance is one lock owner with its own open file description (Linux
 * OFD locks). Two instances exclude each other exactly like two processes, in one thread,
 * across worker threads or across processes; closing one never drops another's locks; the
 * kernel drops an owner's locks when its process dies.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import {
  InvalidArgumentError,
  LockAbortError,
  LockBusyError,
  LockCanceledError,
  LockClosedError,
  LockError,
  LockFileReplacedError,
  LockPathError,
  LockSystemError,
  LockTimeoutError,
} from '../errors/errors';
import { adoptDescriptor, closeDescriptor } from '../sys/descriptors';
import { type Backend, getConflict, setLock, supportsOfd } from '../sys/fcntl';
import { encodePath, fdFileId, type FileId, sameFileAt } from '../sys/identity';
import { waitUntil } from '../sys/interrupt';
import { createLogger, type Logger, toLogger } from '../logger';
import { errnoCode, notRegularFile, pathError } from '../errors/path-error';
import { IntervalSet } from '../ranges/interval-set';
import { withoutSignalHooks } from '../process-hooks/exit-hooks';
import { type Acquire, type AcquireOptions, type LockSpec, type Range, toAcquire, toBoolean, toChoice, toFunction, toOptions, toRange, toString } from '../args/spec';
import { waitInThread, type WaitTicket } from '../wait/pool';

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
   * see the README for what that backend cannot guarantee).
   */
  readonly backend?: Backend;
}

/** A range of lock indices this owner holds. */
export interface HeldRange {
  readonly start: number;
  readonly count: number;
  readonly write: boolean;
}

/** Another owner's lock that blocks a request, as {@link LocksFile.probe} reports it. */
export interface Holder {
  readonly start: number;
  /** `Infinity` when the holder locked "to the end of the file" (length 0). */
  readonly count: number;
  readonly write: boolean;
  /** Holder's pid for POSIX locks (e.g. a Python pylocksfile process); -1 for OFD holders. */
  readonly pid: number;
}

/** One acquired range, released exactly once by `release()` or by `using` / `await using`. */
export interface LockHandle {
  readonly start: number;
  readonly count: number;
  readonly write: boolean;
  /** Releases this handle's range (no-op the second time, or after the instance closed). */
  release(): void;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** An async acquire that has not finished with the kernel yet (see `#pending`). */
class PendingAcquire {
  readonly end: number;
  /** Resolves once nothing of this request is left in the kernel. */
  readonly settled: Promise<void>;
  private readonly markSettled: () => void;
  /** Resolves with the reason when the request is abandoned before it was granted. */
  readonly abandoned: Promise<Abandon>;
  private readonly markAbandoned: (reason: Abandon) => void;
  private outcome: 'live' | 'answered' = 'live';
  private reason: Abandon | undefined;

  constructor(
    readonly start: number,
    count: number,
    private readonly resolve: (value: boolean) => void,
    private readonly reject: (reason: Error) => void,
  ) {
    this.end = start + count;
    let settle!: () => void;
    this.settled = new Promise((res) => (settle = res));
    this.markSettled = settle;
    let abandon!: (reason: Abandon) => void;
    this.abandoned = new Promise((res) => (abandon = res));
    this.markAbandoned = abandon;
  }

  overlaps(start: number, end: number): boolean {
    return this.start < end && start < this.end;
  }

  /** Still wanted: neither answered nor abandoned. */
  get live(): boolean {
    return this.outcome === 'live' && this.reason === undefined;
  }

  /** Gives the caller its answer (once). */
  answer(value: boolean | Error): void {
    if (this.outcome !== 'live') return;
    this.outcome = 'answered';
    if (value instanceof Error) this.reject(value);
    else this.resolve(value);
  }

  /**
   * Ends the request before it was granted. The kernel side is wound up first (`#run`
   * returns); {@link finish} then gives the caller its answer, so that when the promise
   * settles nothing of the request is held and the range is free for a sync call.
   */
  abandon(reason: Abandon): void {
    if (!this.live) return;
    this.reason = reason;
    this.markAbandoned(reason);
  }

  /** Called once nothing of the request is left in the kernel: answers an abandoned request. */
  finish(): void {
    if (this.reason !== undefined) this.answer(this.reason === 'timeout' ? false : this.reason);
    this.markSettled();
  }
}

/** Why a pending acquire ended early: its timeout, or the error its caller gets. */
type Abandon = 'timeout' | Error;

const O_NOFOLLOW = fs.constants.O_NOFOLLOW;
const O_NONBLOCK = fs.constants.O_NONBLOCK;

/** Indexed read/write locks in one lock file. See the module documentation for the owner model. */
export class LocksFile {
  /** The lock file's path. */
  readonly path: string;
  /** This owner's name in log lines. */
  readonly id: string;
  /** Kernel lock family in use. */
  readonly backend: Backend;
  #fd: number;
  /** Device and inode of the file `#fd` is open on. */
  #fileId: FileId;
  readonly #pathBytes: Uint8Array;
  #writable: boolean;
  #closed = false;
  /** Set when the file was deleted or replaced under held locks; reported on the next call. */
  #replaced = false;
  readonly #held = new IntervalSet();
  /** Async acquires still in flight, in call order. Overlapping ones run one after another. */
  readonly #pending = new Set<PendingAcquire>();
  readonly #logger: Logger | undefined;

  /**
   * Opens (creating if missing, never truncating or writing) the lock file at `path`, or a
   * fresh file in `os.tmpdir()` when `path` is omitted. Refuses symlinks (O_NOFOLLOW) and
   * anything that is not a regular file with a {@link LockPathError}. A file this process
   * may only read is opened read-only: read locks work, write locks throw.
   */
  constructor(path?: string, options?: LocksFileOptions) {
    const opts = toOptions(options);
    const resolved = path === undefined ? nodePath.join(os.tmpdir(), `locksfile-${randomUUID()}.lock`) : toPath(path);
    this.id = toString(opts.id, 'options.id', randomUUID());
    const verbose = toBoolean(opts.verbose, 'options.verbose', false);
    this.#logger = toLogger(opts.logger, 'options.logger') ?? (verbose ? createLogger('locksfile', 'debug') : undefined);
    const backend = toChoice<Backend>(opts.backend, 'options.backend', ['ofd', 'posix']);
    this.path = resolved;
    this.#pathBytes = encodePath(resolved);
    const opened = openLockFile(resolved);
    this.#fd = opened.fd;
    this.#writable = opened.writable;
    try {
      this.#fileId = fdFileId(this.#fd);
      this.backend = backend ?? (supportsOfd(this.#fd) ? 'ofd' : 'posix');
    } catch (err) {
      fs.closeSync(this.#fd);
      throw err;
    }
    adoptDescriptor(this.backend, this.#fileId);
    this.#log(`opened ${resolved} (${this.backend}${this.#writable ? '' : ', read-only'})`);
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Acquires a read (default) or write lock on `spec`, blocking the calling thread while
   * another owner holds a conflicting lock. Returns true when held; false when
   * `blocking: false` found it busy or `timeout` (ms) ran out. Acquiring over this owner's
   * own locks converts the overlap to the requested mode (the last acquire wins); a
   * conversion that is not granted leaves the previous locks in place.
   *
   * Throws {@link LockBusyError} when an async acquire of this instance on an overlapping
   * range is still in flight (sync calls cannot wait for it).
   */
  acquireSync(spec: LockSpec = 0, options?: Omit<AcquireOptions, 'signal'>): boolean {
    const range = toRange(spec);
    const opts = toAcquire(options, false);
    this.#assertUsable(opts.write);
    this.#assertNoPending(range);
    const type = opts.write ? 'write' : 'read';
    for (;;) {
      let granted = setLock(this.#fd, this.backend, type, range.start, range.count);
      if (!granted && opts.blocking && opts.timeout !== 0) {
        const deadline = opts.timeout === undefined ? undefined : performance.now() + opts.timeout;
        granted = withoutSignalHooks(() => waitUntil(this.#fd, this.backend, type, range.start, range.count, deadline, () => false)) === 'granted';
      }
      if (!granted) {
        this.#log(`acquireSync ${describeRange(range, opts.write)}: not acquired`);
        return false;
      }
      if (this.#landedOnCurrentFile(range, opts.write, 0)) return true;
    }
  }

  /**
   * Async {@link acquireSync}: resolves true when held, false when `blocking: false` found
   * the range busy or `timeout` (ms) ran out. The wait happens in the kernel's own queue on
   * a waiter thread, never on the event loop or the libuv pool, and the holder's release
   * hands the lock over at once.
   *
   * Rejects with a `LockAbortError` (name `'AbortError'`, `cause` = the signal's reason)
   * when `signal` aborts, without touching the kernel if it already had; with
   * {@link LockClosedError} when the instance is closed meanwhile; with
   * {@link LockCanceledError} when this instance releases an overlapping range while the
   * request waits. Concurrent acquires of one instance on overlapping ranges are applied in
   * call order (each waits for the earlier ones); on disjoint ranges they wait independently.
   * Nothing of a request that timed out, aborted or was cancelled stays held.
   */
  acquire(spec: LockSpec = 0, options?: AcquireOptions): Promise<boolean> {
    let range: Range;
    let opts: Acquire;
    try {
      range = toRange(spec);
      opts = toAcquire(options, true);
      this.#assertUsable(opts.write);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (opts.signal?.aborted === true) return Promise.reject(abortError(opts.signal));
    const earlier = this.#predecessors(range);
    if (earlier.length === 0) {
      // Fast path: nothing of ours in the way, try without waiting and without a promise chain.
      try {
        if (setLock(this.#fd, this.backend, opts.write ? 'write' : 'read', range.start, range.count)) {
          if (this.#landedOnCurrentFile(range, opts.write, 0)) return Promise.resolve(true);
        } else if (!opts.blocking || opts.timeout === 0) {
          return Promise.resolve(false);
        }
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return new Promise<boolean>((resolve, reject) => {
      const op = new PendingAcquire(range.start, range.count, resolve, reject);
      this.#pending.add(op);
      void this.#run(op, range, opts, earlier).finally(() => {
        this.#pending.delete(op);
        this.#closeFdIfDone();
        op.finish();
      });
    });
  }

  /**
   * The pending acquires a new request on `range` must wait for: every earlier one that
   * overlaps it, less those that a later overlapping one already waits for (a later `F`
   * covering `E`'s overlap with `range` settles after `E`). Keeps a queue of identical
   * requests linear instead of quadratic.
   */
  #predecessors(range: Range): PendingAcquire[] {
    if (this.#pending.size === 0) return [];
    const start = range.start;
    const end = range.start + range.count;
    const kept: PendingAcquire[] = [];
    const all = [...this.#pending];
    for (let i = all.length - 1; i >= 0; i--) {
      const op = all[i] as PendingAcquire;
      if (!op.overlaps(start, end)) continue;
      const from = Math.max(op.start, start);
      const to = Math.min(op.end, end);
      if (!kept.some((later) => later.start <= from && later.end >= to)) kept.push(op);
    }
    return kept;
  }

  /** Drives one pending acquire to its end; always leaves the kernel matching `#held`. */
  async #run(op: PendingAcquire, range: Range, opts: Acquire, earlier: PendingAcquire[]): Promise<void> {
    const timer = opts.timeout === undefined ? undefined : setTimeout(() => op.abandon('timeout'), opts.timeout);
    const onAbort = (): void => op.abandon(abortError(opts.signal as AbortSignal));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const type = opts.write ? 'write' : 'read';
    try {
      if (earlier.length > 0) {
        await Promise.race([Promise.all(earlier.map((p) => p.settled)), op.abandoned]);
        if (!op.live) return;
        this.#assertUsable(opts.write);
      }
      for (;;) {
        if (setLock(this.#fd, this.backend, type, range.start, range.count)) {
          if (this.#landedOnCurrentFile(range, opts.write, 1)) return op.answer(true);
          continue;
        }
        if (!opts.blocking || opts.timeout === 0) return op.answer(false);
        // A read wait must not convert our own write locks before it is granted: if it were
        // abandoned after the kernel granted it, turning them back into write locks could
        // fail. So it waits for the parts we do not hold in write mode, one after another,
        // and the final set below converts the rest (a downgrade, which never blocks).
        for (const part of this.#waitPlan(range, opts.write)) {
          const ticket = waitInThread({ fd: this.#fd, backend: this.backend, write: opts.write, start: part.start, count: part.count });
          const end = await Promise.race([ticket.done, op.abandoned]);
          if (typeof end !== 'string' || end === 'timeout' || !op.live) {
            await this.#abandonTicket(ticket, range);
            return;
          }
          if (end === 'stopped') throw new LockSystemError('fcntl(F_SETLKW)', 'EINTR', 'the lock wait stopped without being cancelled');
        }
        if (!op.live) {
          this.#restore(range);
          return;
        }
        if (!setLock(this.#fd, this.backend, type, range.start, range.count)) {
          // Only possible for a read plan when another owner took a part we had already
          // waited for between two parts: give the parts back and wait again.
          this.#restore(range);
          continue;
        }
        if (this.#landedOnCurrentFile(range, opts.write, 1)) return op.answer(true);
      }
    } catch (err) {
      this.#restore(range);
      op.answer(err as Error);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Cancels a wait and, when its grant won the race, gives back what it took. */
  async #abandonTicket(ticket: WaitTicket, range: Range): Promise<void> {
    ticket.cancel();
    try {
      await ticket.done;
    } finally {
      this.#restore(range);
    }
  }

  /** The sub-ranges a blocking request waits for in the kernel (see `#run`). */
  #waitPlan(range: Range, write: boolean): Range[] {
    if (write) return [range];
    const parts: Range[] = [];
    let at = range.start;
    const end = range.start + range.count;
    for (const seg of this.#held.segments(range.start, end)) {
      if (!seg.write) continue;
      if (seg.start > at) parts.push({ start: at, count: seg.start - at });
      at = seg.end;
    }
    if (at < end) parts.push({ start: at, count: end - at });
    return parts;
  }

  /**
   * Makes the kernel's locks on `range` match `#held` again after a grant that is not
   * wanted: held parts get their recorded mode back (a no-op or a downgrade), the rest is
   * unlocked. Neither ever waits or fails for lack of the lock.
   */
  #restore(range: Range): void {
    if (this.#fd < 0) return;
    const end = range.start + range.count;
    let at = range.start;
    for (const seg of this.#held.segments(range.start, end)) {
      if (seg.start > at) setLock(this.#fd, this.backend, 'unlock', at, seg.start - at);
      setLock(this.#fd, this.backend, seg.write ? 'write' : 'read', seg.start, seg.end - seg.start);
      at = seg.end;
    }
    if (at < end) setLock(this.#fd, this.backend, 'unlock', at, end - at);
  }

  /**
   * After the kernel granted `range`: records it when the fd is still on the file at
   * `path`. Otherwise (deleted or replaced by someone) gives the grant back and, when this
   * owner holds nothing else, reopens `path` and asks the caller to retry (false); with
   * other locks held on the old file it throws {@link LockFileReplacedError}. `inFlight` is
   * how many pending acquires belong to the caller itself (0 or 1).
   */
  #landedOnCurrentFile(range: Range, write: boolean, inFlight: number): boolean {
    if (sameFileAt(this.#pathBytes, this.#fileId)) {
      this.#held.set(range.start, range.start + range.count, write);
      this.#log(`acquired ${describeRange(range, write)}`);
      return true;
    }
    this.#restore(range);
    if (this.#held.size > 0 || this.#pending.size > inFlight) {
      this.#replaced = true;
      throw this.#replacedError();
    }
    this.#log(`${this.path} was deleted or replaced; reopening`);
    const opened = openLockFile(this.path);
    closeDescriptor(this.#fd, this.backend, this.#fileId);
    this.#fd = opened.fd;
    this.#writable = opened.writable;
    this.#fileId = fdFileId(this.#fd);
    adoptDescriptor(this.backend, this.#fileId);
    return false;
  }

  #replacedError(): LockFileReplacedError {
    return new LockFileReplacedError(
      this.path,
      `${this.path} was deleted or replaced while this instance held locks on the old file; they no longer exclude anyone. Release everything (release()) to continue on the new file.`,
    );
  }

  /**
   * Releases `spec`, or everything this owner holds when omitted. Releasing what is not held
   * is a no-op. Pending async acquires of this instance that overlap the range are cancelled
   * (they reject with {@link LockCanceledError}); `release()` with no argument cancels all.
   */
  release(spec?: LockSpec): void {
    const range = spec === undefined ? undefined : toRange(spec);
    this.#assertOpen();
    const start = range?.start ?? 0;
    const end = range === undefined ? Number.MAX_SAFE_INTEGER : range.start + range.count;
    for (const op of this.#pending) {
      if (op.overlaps(start, end)) op.abandon(new LockCanceledError(`acquire of [${op.start}, ${op.end}) cancelled by release of an overlapping range`));
    }
    if (range === undefined) {
      this.#unlockAll();
      this.#held.clearAll();
      this.#replaced = false;
    } else {
      setLock(this.#fd, this.backend, 'unlock', range.start, range.count);
      this.#held.clear(range.start, end);
      if (this.#held.size === 0) this.#replaced = false;
    }
    this.#log(`released ${range === undefined ? 'everything' : describeRange(range)}`);
  }

  /** This owner's locks, merged (adjacent ranges of one mode are one entry) and sorted. */
  held(): HeldRange[] {
    this.#assertOpen();
    return this.#held.segments().map((s) => ({ start: s.start, count: s.end - s.start, write: s.write }));
  }

  /**
   * The first lock of another owner that would block a request for `spec` in the given mode
   * (default read), or null when it would be granted now. Changes nothing.
   */
  probe(spec: LockSpec = 0, options?: { readonly write?: boolean }): Holder | null {
    const range = toRange(spec);
    const write = toBoolean(toOptions(options).write, 'options.write', false);
    this.#assertOpen();
    return getConflict(this.#fd, this.backend, write, range.start, range.count);
  }

  /**
   * {@link acquireSync} returning a handle for `using`: throws {@link LockTimeoutError} when
   * the timeout ran out, {@link LockBusyError} when `blocking: false` found it busy.
   */
  lockSync(spec: LockSpec = 0, options?: Omit<AcquireOptions, 'signal'>): LockHandle {
    const range = toRange(spec);
    const opts = toAcquire(options, false);
    if (!this.acquireSync(range, opts)) throw notAcquired(range, opts);
    return this.#handle(range, opts.write);
  }

  /**
   * {@link acquire} resolving to a handle for `await using`: rejects with
   * {@link LockTimeoutError} when the timeout ran out, {@link LockBusyError} when
   * `blocking: false` found it busy.
   */
  async lock(spec: LockSpec = 0, options?: AcquireOptions): Promise<LockHandle> {
    const range = toRange(spec);
    const opts = toAcquire(options, true);
    if (!(await this.acquire(range, opts))) throw notAcquired(range, opts);
    return this.#handle(range, opts.write);
  }

  /**
   * Runs `fn` while holding `spec`, then releases exactly that range, whether `fn` returns,
   * throws or rejects. Rejects like {@link lock} when the lock is not acquired.
   */
  async withLock<T>(spec: LockSpec, options: AcquireOptions | undefined, fn: () => T | PromiseLike<T>): Promise<T> {
    const run = toFunction<() => T | PromiseLike<T>>(fn, 'fn');
    const handle = await this.lock(spec, options);
    try {
      return await run();
    } finally {
      handle.release();
    }
  }

  #handle(range: Range, write: boolean): LockHandle {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (!this.#closed) this.release(range);
    };
    return {
      start: range.start,
      count: range.count,
      write,
      release,
      [Symbol.dispose]: release,
      [Symbol.asyncDispose]: async () => release(),
    };
  }

  /**
   * Releases everything and closes the file. Pending acquires reject with
   * {@link LockClosedError}; the descriptor itself closes as soon as their waiter threads
   * have let go of it (immediately when none wait). Idempotent. Any other call afterwards
   * throws {@link LockClosedError}.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const op of this.#pending) op.abandon(new LockClosedError(`${this.path}: closed while an acquire was pending`));
    try {
      this.#unlockAll();
    } finally {
      this.#held.clearAll();
      this.#closeFdIfDone();
      this.#log('closed');
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

  /**
   * Unlocks everything this owner holds. OFD: the whole file in one call (which also covers a
   * grant still racing in). POSIX: only the recorded ranges, since the whole-file unlock
   * would drop the locks other instances of this process took on the same file.
   */
  #unlockAll(): void {
    if (this.backend === 'ofd') {
      setLock(this.#fd, this.backend, 'unlock', 0, 0);
      return;
    }
    for (const seg of this.#held.segments()) setLock(this.#fd, this.backend, 'unlock', seg.start, seg.end - seg.start);
  }

  #closeFdIfDone(): void {
    if (!this.#closed || this.#pending.size > 0 || this.#fd < 0) return;
    closeDescriptor(this.#fd, this.backend, this.#fileId);
    this.#fd = -1;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LockClosedError(`${this.path}: this LocksFile is closed`);
  }

  /** Open, not compromised by a replaced file, and able to take the requested mode. */
  #assertUsable(write: boolean): void {
    this.#assertOpen();
    if (this.#replaced) throw this.#replacedError();
    if (write && !this.#writable) {
      throw new LockPathError(this.path, `${this.path}: opened read-only (no write permission), so write locks are impossible; read locks work`, 'EBADF');
    }
  }

  #assertNoPending(range: Range): void {
    const end = range.start + range.count;
    for (const op of this.#pending) {
      if (op.overlaps(range.start, end)) {
        throw new LockBusyError(`${describeRange(range)} overlaps an async acquire of this instance that is still in flight`);
      }
    }
  }

  #log(message: string): void {
    this.#logger?.debug(`[${this.id}] ${message}`);
  }
}

function describeRange(range: Range, write?: boolean): string {
  const mode = write === undefined ? '' : write ? ' write' : ' read';
  return `[${range.start}, ${range.start + range.count})${mode}`;
}

function notAcquired(range: Range, opts: Acquire): LockError {
  if (!opts.blocking) return new LockBusyError(`${describeRange(range, opts.write)} is held by another owner`);
  return new LockTimeoutError(`${describeRange(range, opts.write)} not acquired within ${opts.timeout} ms`);
}

function abortError(signal: AbortSignal): LockAbortError {
  return new LockAbortError('The lock acquire was aborted', signal.reason);
}

function toPath(value: unknown): string {
  const path = toString(value, 'path');
  if (path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError('ERR_INVALID_ARG_VALUE', 'path', 'expected a non-empty path without NUL bytes');
  }
  return nodePath.resolve(path);
}

/**
 * Opens the lock file: O_CREAT without O_TRUNC (never truncates or writes), O_NOFOLLOW (a
 * planted symlink is refused, not followed), O_NONBLOCK (a FIFO cannot block the open).
 * Falls back to read-only when write permission is missing. Returns only regular files.
 */
function openLockFile(path: string): { fd: number; writable: boolean } {
  const flags = O_NOFOLLOW | O_NONBLOCK | fs.constants.O_CREAT;
  let fd: number;
  let writable = true;
  try {
    fd = fs.openSync(path, flags | fs.constants.O_RDWR, 0o666);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EACCES' && code !== 'EROFS') throw pathError(path, err);
    try {
      fd = fs.openSync(path, O_NOFOLLOW | O_NONBLOCK | fs.constants.O_RDONLY);
      writable = false;
    } catch (second) {
      // A missing file we may not create: the permission is the problem, not the path.
      throw pathError(path, errnoCode(second) === 'ENOENT' ? err : second);
    }
  }
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw pathError(path, err);
  }
  if (!stat.isFile()) {
    fs.closeSync(fd);
    throw notRegularFile(path);
  }
  return { fd, writable };
}
