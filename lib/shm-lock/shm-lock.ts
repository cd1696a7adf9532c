/**
 * `ShmLock`: a named mutex ("the lock called `db-migrate`", from any terminal) compatible
 * with Python's shmlock: both create `/dev/shm/<name>` exclusively and hold it while they
 * hold the lock, so a Python program and a Node program can share one named lock.
 *
 * Beyond shmlock, a ShmLock holder also holds a kernel lock on its file (see
 * `file.ts` for the protocol), which gives:
 * - crash safety: a holder killed by SIGKILL no longer leaves a dead lock behind; the next
 *   waiter removes its file safely and takes the lock. The file is published under the name
 *   already locked and holding the uuid, so a holder killed mid-acquire leaves nothing; an
 *   empty file left by a creator killed mid-create (Python's, or ours where the file system
 *   lacks `O_TMPFILE`) is removed once it is older than max(1 s, 20 x pollInterval);
 * - immediate hand-over: a waiter sleeps in the kernel on the holder's lock and retries the
 *   exclusive create the moment it is released, instead of polling. `pollInterval` remains
 *   the fallback for holders without that lock (Python shmlock);
 * - safe release: only a file that still is this holder's (same inode, same uuid) is deleted;
 * - fair hand-over (`fair`, default true): waiters queue in arrival order on kernel locks of a
 *   side file (see `queue.ts`), and a releaser coming straight back or a newcomer waits behind
 *   them instead of taking the lock first.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type { ExitEvent } from '../process-hooks/exit-event';
import { waitInThread, waitUntil } from '../process-hooks/thread-state';
import { type Logger, toLogger } from '../logger';
import { clearExitHooks, setExitHooks, withoutSignalHooks } from '../process-hooks/exit-hooks';
import { LockAbortError, LockBusyError, LockClosedError, type LockError, LockTimeoutError } from '../errors/errors';
import { formatUuid, markedUuid, ShmLockFile, sleepSync, type Step } from './file';
import { queuePath, ShmQueue } from './queue';
import {
  defaultDir,
  type ExitHandlerOptions,
  type Plan,
  type Request,
  type ShmLockOptions,
  type ShmLockRequest,
  type ShmTimeout,
  toExitEvent,
  toName,
  toPlan,
  toPollInterval,
  toRequest,
} from './options';
import { toBoolean, toFunction, toOptions, toPath, toString } from '../args/spec';

/** The held lock that {@link ShmLock.lock} resolves to: `await using`/`using` releases it. */
export interface ShmLockHandle {
  /** The lock's name. */
  readonly name: string;
  /** Releases this acquire (one nesting level); later calls do nothing. */
  release(): void;
  /** Same as {@link release}, for `using`. */
  [Symbol.dispose](): void;
  /** Same as {@link release}, for `await using`; resolves once released. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * First pause when a holder is between its create and its uuid, or when the name keeps
 * changing under the acquire (churn); doubles up to pollInterval.
 */
const FIRST_SHORT_DELAY_MS = 1;
/**
 * An empty file without a live kernel lock is left to its creator for this many poll
 * intervals (and at least 1 s) before an acquire breaks it as a dead creation.
 */
const FORMING_GRACE_POLLS = 20;
/** A try-once acquire retries at once this many times when the name changed under it. */
const ONCE_TRIES = 3;

/**
 * What the acquire loop waits for next: a kernel lock on `fd` (the holder's whole file, write;
 * or our predecessor's queue byte, read), or time. `ms` bounds it.
 */
type Wait =
  | { readonly kind: 'kernel'; readonly fd: number; readonly write: boolean; readonly start: number; readonly count: number; readonly ms: number | undefined }
  | { readonly kind: 'sleep'; readonly ms: number };

/** A wait for the holder's whole-file write lock. */
function holderWait(fd: number, ms: number | undefined): Wait {
  return { kind: 'kernel', fd, write: true, start: 0, count: 0, ms };
}

/** How a wait ended: lock granted, time up, or stopped (the exit event set, the signal aborted or the instance closed). */
type WaitEnd = 'granted' | 'timeout' | 'stopped';

/** How an acquire ended: held, not acquired (busy or timed out), the exit event set, or the signal aborted. */
type Outcome = 'acquired' | 'missed' | 'exit' | 'aborted';

/** A named lock shared with every process (Node ShmLock or Python shmlock) using the same name and directory. */
export class ShmLock implements Disposable, AsyncDisposable {
  /** The lock's name: the file name under {@link ShmLockOptions.dir}. */
  readonly name: string;
  /** Full path of the lock file. */
  readonly path: string;
  /** Milliseconds between tries against a holder without kernel lock. */
  readonly pollInterval: number;
  /** Whether acquires queue behind owners already waiting (`options.fair`, default true). */
  readonly fair: boolean;
  #description: string;
  readonly #exit: ExitEvent;
  /** Whether {@link ShmLock.#exit} was made for this instance (disposed by {@link close}). */
  readonly #ownsExit: boolean;
  /** Aborted by {@link close}: stops pending waits. */
  readonly #closing = new AbortController();
  readonly #logger: Logger | undefined;
  readonly #file: ShmLockFile;
  /** The fair queue (undefined with `fair: false`). */
  readonly #queue: ShmQueue | undefined;

  /**
   * Creates the lock object; nothing is touched on disk until an acquire. Throws
   * `InvalidArgumentError` for a name that is empty, longer than 255 bytes, contains `/` or
   * NUL, or is `.` or `..`, and for invalid options.
   */
  constructor(name: string, options?: ShmLockOptions) {
    this.name = toName(name);
    const opts = toOptions(options);
    this.pollInterval = toPollInterval(opts.pollInterval);
    this.#logger = toLogger(opts.logger, 'options.logger');
    const exit = toExitEvent(opts.exitEvent);
    this.#exit = exit.event;
    this.#ownsExit = exit.owned;
    this.#description = toString(opts.description, 'options.description', '');
    this.fair = toBoolean(opts.fair, 'options.fair', true);
    this.path = nodePath.join(opts.dir === undefined ? defaultDir() : toPath(opts.dir, 'options.dir'), this.name);
    this.#queue = this.fair ? new ShmQueue(queuePath(this.path)) : undefined;
    this.#file = new ShmLockFile(this.path, markedUuid(), FORMING_GRACE_POLLS * this.pollInterval, this.#queue);
  }

  /** This instance's uuid (canonical form), written into the lock file while it holds the lock. */
  get uuid(): string {
    return formatUuid(this.#file.uuid);
  }

  /** Whether this instance holds the lock. */
  get acquired(): boolean {
    return this.#file.count > 0;
  }

  /** Free text describing the lock, for debugging (shown by `toString()`); settable. */
  get description(): string {
    return this.#description;
  }

  /** Replaces the description; throws `InvalidArgumentError` for a non-string. */
  set description(value: string) {
    this.#description = toString(value, 'description');
  }

  /**
   * shmlock's `acquire(timeout)`: waits as `timeout` says ({@link ShmTimeout}) and resolves
   * true when held (nested acquires of a holding instance count), false when the time ran out
   * or the exit event is set. A live ShmLock holder's release or death wakes the wait at once;
   * a holder without kernel lock (Python shmlock) is retried every `pollInterval`. Rejects
   * with `LockPathError` when the name is a symlink or not a regular file, and with
   * `LockClosedError` after (or on) {@link close}. {@link lock} is the same acquire in the
   * vocabulary shared with the other facades.
   */
  acquire(timeout?: ShmTimeout): Promise<boolean> {
    try {
      return this.#acquire(toPlan(timeout)).then((outcome) => outcome === 'acquired');
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #acquire(plan: Plan): Promise<Outcome> {
    const attempts = this.#attempts(plan);
    let next = attempts.next();
    while (!next.done) {
      let end: WaitEnd;
      try {
        end = await this.#waitAsync(next.value, plan.signal);
      } catch (err) {
        next = attempts.throw(err);
        continue;
      }
      next = attempts.next(end);
    }
    return next.value;
  }

  /**
   * {@link acquire}, blocking the thread. Waits in the kernel for a ShmLock holder (in slices
   * of at most `pollInterval`, re-checking the name in between); the exit event is only seen
   * between slices, and the thread handles no events (signal listeners included) meanwhile.
   */
  acquireSync(timeout?: ShmTimeout): boolean {
    return this.#acquireSync(toPlan(timeout)) === 'acquired';
  }

  /**
   * Drives the acquire loop with blocking waits. The whole loop runs without our signal
   * listeners (see `process-hooks/exit-hooks.ts`): none could run before it returns anyway,
   * and a signal caught by a listener between two waits would be lost, leaving the process
   * blocked instead of ended.
   */
  #acquireSync(plan: Plan): Outcome {
    return withoutSignalHooks(() => {
      const attempts = this.#attempts(plan);
      let next = attempts.next();
      while (!next.done) {
        let end: WaitEnd;
        try {
          end = this.#waitSync(next.value);
        } catch (err) {
          next = attempts.throw(err);
          continue;
        }
        next = attempts.next(end);
      }
      return next.value;
    });
  }

  /**
   * The acquire loop shared by {@link acquire} and {@link acquireSync}: yields what to wait
   * for and is resumed with how the wait ended. Owns every descriptor a step hands it.
   */
  *#attempts(plan: Plan): Generator<Wait, Outcome, WaitEnd> {
    const queue = this.#queue;
    /** Whether this acquire took the instance's queue ticket (another pending acquire of this instance may hold it). */
    let ticketed = false;
    try {
      return yield* this.#steps(plan, () => {
        ticketed = queue?.enter() === true;
        return ticketed;
      });
    } finally {
      // A ticket stays while the lock is held (the release gives it back); otherwise it goes now.
      if (ticketed && !this.#file.held) queue?.leave();
      queue?.idle();
    }
  }

  /**
   * The steps of {@link ShmLock.#attempts}. `enter()` takes the queue ticket and says whether it
   * did; it is called at most once, when this acquire must wait while the queue is in use.
   */
  *#steps(plan: Plan, enter: () => boolean): Generator<Wait, Outcome, WaitEnd> {
    const queue = this.#queue;
    let ticketed = false;
    let next: Step | undefined;
    /** Consecutive steps that found the name broken or changed. */
    let quickTries = 0;
    let formingDelay = FIRST_SHORT_DELAY_MS;
    let churnDelay = FIRST_SHORT_DELAY_MS;
    for (;;) {
      this.#assertOpen();
      if (plan.signal?.aborted === true) return 'aborted';
      if (this.#exit.isSet()) return 'exit';
      if (this.#file.count > 0) {
        this.#file.count += 1;
        this.#log(`acquired again (count ${this.#file.count})`);
        return 'acquired';
      }
      const left = plan.deadline === undefined ? undefined : plan.deadline - performance.now();
      const canWait = !plan.once && (left === undefined || left > 0);
      // Fair: owners already queued go first. A newcomer that finds one queues behind it
      // instead of trying the name; a queued owner tries the name only at the head.
      if (queue !== undefined && !ticketed && !queue.queued && queue.busy()) {
        if (!canWait) return 'missed';
        ticketed = enter();
        if (ticketed) this.#log(`queued behind waiting owners (ticket ${queue.ticket})`);
      }
      if (ticketed && queue !== undefined) {
        const ahead = queue.predecessor();
        if (ahead >= 0) {
          if (!canWait) return 'missed';
          try {
            yield { kind: 'kernel', fd: queue.watch(), write: false, start: ahead, count: 1, ms: left };
          } finally {
            queue.unwatch(ahead);
          }
          continue;
        }
      }
      const step = next ?? this.#file.tryAcquire();
      next = undefined;
      if (step.kind === 'acquired') {
        this.#log(ticketed ? `acquired (queue ticket ${queue?.ticket ?? -1})` : 'acquired');
        return 'acquired';
      }
      if (step.kind === 'broken' || step.kind === 'changed') {
        this.#log(step.kind === 'broken' ? 'removed the lock file of a dead holder' : 'the name changed under this acquire; retrying');
        quickTries += 1;
        if (plan.once) {
          if (quickTries >= ONCE_TRIES) return 'missed';
          continue;
        }
        // The first retry is immediate (a holder just released: take over at once). More in a
        // row mean the file churns: back off, so the loop neither spins on the event loop nor
        // outlives its deadline.
        if (quickTries === 1) continue;
        if (left !== undefined && left <= 0) return 'missed';
        const delay = Math.min(churnDelay, this.pollInterval);
        churnDelay *= 2;
        yield { kind: 'sleep', ms: Math.min(delay, left ?? delay) };
        continue;
      }
      quickTries = 0;
      churnDelay = FIRST_SHORT_DELAY_MS;
      if (canWait && queue !== undefined && !ticketed && !queue.queued) {
        // About to wait: queue first, so that later comers wait behind this acquire. Someone
        // may have queued meanwhile: then wait for them first.
        ticketed = enter();
        if (ticketed) this.#log(`queued (ticket ${queue.ticket})`);
        if (ticketed && queue.behind) {
          if (step.kind === 'held') fs.closeSync(step.fd);
          continue;
        }
      }
      if (step.kind === 'held') {
        let end: WaitEnd = 'timeout';
        try {
          if (canWait) end = yield holderWait(step.fd, left);
        } finally {
          if (end !== 'granted') fs.closeSync(step.fd);
        }
        if (end === 'granted') next = this.#file.settle(step.fd);
        else if (!canWait) return 'missed';
        // 'stopped': the loop's first checks say by what.
        continue;
      }
      if (!canWait) return 'missed';
      let delay = this.pollInterval;
      if (step.kind === 'forming') {
        delay = Math.min(formingDelay, this.pollInterval);
        formingDelay *= 2;
      }
      yield { kind: 'sleep', ms: Math.min(delay, left ?? delay) };
    }
  }

  async #waitAsync(wait: Wait, signal: AbortSignal | undefined): Promise<WaitEnd> {
    const stops = [this.#exit.signal, this.#closing.signal];
    if (signal !== undefined) stops.push(signal);
    const stop = pause(stops, wait.ms);
    try {
      if (wait.kind === 'sleep') return await stop.promise;
      const ticket = waitInThread({ fd: wait.fd, backend: 'ofd', write: wait.write, start: wait.start, count: wait.count });
      const first = await Promise.race([ticket.done.then((end) => (end === 'granted' ? end : 'lost')), stop.promise]);
      if (first === 'granted') return 'granted';
      ticket.cancel();
      // The waiter thread must let go of the descriptor before the caller closes it; a grant
      // that won the race is dropped with the descriptor.
      await ticket.done;
      // 'lost': the waiter stopped without being asked; the loop simply looks again.
      return first === 'stopped' ? 'stopped' : 'timeout';
    } finally {
      stop.cancel();
    }
  }

  /** Blocks the thread for one wait (called by {@link ShmLock.#acquireSync} only). */
  #waitSync(wait: Wait): WaitEnd {
    if (wait.kind === 'sleep') {
      sleepSync(wait.ms);
      return 'timeout';
    }
    const slice = Math.min(wait.ms ?? Infinity, this.pollInterval);
    return waitUntil(wait.fd, 'ofd', wait.write ? 'write' : 'read', wait.start, wait.count, performance.now() + slice, () => this.#exit.isSet());
  }

  /**
   * Releases one nested acquire; the lock itself is freed by the last one, or at once with
   * `force`. Returns true when this call freed the lock; false when this instance did not
   * hold it (no throw), still holds it (nested acquires remain), or found that its file had
   * been deleted or replaced by someone else meanwhile (then it deletes nothing).
   */
  release(force = false): boolean {
    const all = toBoolean(force, 'force', false);
    const file = this.#file;
    if (file.count === 0) return false;
    if (!all && file.count > 1) {
      file.count -= 1;
      this.#log(`released once (count ${file.count})`);
      return false;
    }
    const freed = file.release();
    if (freed) this.#log('released');
    else this.#logger?.warn(`${this.toString()}: released, but the lock file had been deleted or replaced by someone else; left it alone`);
    return freed;
  }

  /**
   * Acquires the lock and resolves to a handle for `await using` (nested acquires of a holding
   * instance count, each handle releases one). Rejects with {@link LockTimeoutError} when
   * `timeout` ms ran out (`0` tries once), {@link LockBusyError} when `blocking: false` found
   * the lock held, {@link LockAbortError} (name `'AbortError'`) when `signal` aborts or the
   * exit event is set, {@link LockClosedError} after (or on) {@link close}, and like
   * {@link acquire} for unusable paths.
   */
  async lock(options?: ShmLockRequest): Promise<ShmLockHandle> {
    const request = toRequest(options, true);
    return this.#handle(request, await this.#acquire(request.plan));
  }

  /** {@link lock}, blocking the thread (see {@link acquireSync}); throws what `lock` rejects with. */
  lockSync(options?: Omit<ShmLockRequest, 'signal'>): ShmLockHandle {
    const request = toRequest(options, false);
    return this.#handle(request, this.#acquireSync(request.plan));
  }

  /**
   * Runs `fn` while holding the lock, then releases it, whether `fn` returns, throws or
   * rejects. Rejects like {@link lock} when the lock is not acquired (then `fn` does not run).
   */
  withLock<T>(fn: () => T | PromiseLike<T>): Promise<T>;
  withLock<T>(options: ShmLockRequest | undefined, fn: () => T | PromiseLike<T>): Promise<T>;
  async withLock<T>(first: ShmLockRequest | undefined | (() => T | PromiseLike<T>), second?: () => T | PromiseLike<T>): Promise<T> {
    const alone = typeof first === 'function' && second === undefined;
    const run = toFunction<() => T | PromiseLike<T>>(alone ? first : second, 'fn');
    const handle = await this.lock(alone ? undefined : (first as ShmLockRequest | undefined));
    try {
      return await run();
    } finally {
      handle.release();
    }
  }

  /** The handle of a held lock, or the error saying why `request` did not get it. */
  #handle(request: Request, outcome: Outcome): ShmLockHandle {
    if (outcome !== 'acquired') throw this.#notAcquired(request, outcome);
    let open = true;
    const release = (): void => {
      if (!open) return;
      open = false;
      this.release();
    };
    return { name: this.name, release, [Symbol.dispose]: release, [Symbol.asyncDispose]: async () => release() };
  }

  #notAcquired(request: Request, outcome: Exclude<Outcome, 'acquired'>): LockError {
    if (outcome === 'aborted') return new LockAbortError(`${this.toString()}: the lock acquire was aborted`, request.plan.signal?.reason);
    if (outcome === 'exit') return new LockAbortError(`${this.toString()}: the exit event is set`, this.#exit.signal.reason);
    if (!request.blocking) return new LockBusyError(`${this.toString()}: held by another holder`);
    return new LockTimeoutError(`${this.toString()}: not acquired within ${request.timeout} ms`);
  }

  /** The event that stops acquires while set (the one given as `options.exitEvent`, or this instance's own). */
  getExitEvent(): ExitEvent {
    return this.#exit;
  }

  /**
   * Releases the lock (whatever the nesting count) on process `'exit'` and on SIGINT/SIGTERM/
   * SIGHUP when the signal is about to kill the process; each is on unless turned off. A
   * signal that another listener handles releases nothing (the application keeps running and
   * keeps its lock); otherwise the signal keeps its default outcome (the process ends). When
   * this instance is garbage-collected while held, the lock stays held and the logger gets a
   * warning. Calling again replaces the settings; {@link close} removes them. Without these
   * hooks a holder that ends leaves its file behind, which the next ShmLock acquire recovers
   * but a Python shmlock waiter cannot.
   */
  addExitHandlers(options?: ExitHandlerOptions): void {
    const opts = toOptions(options);
    const hooks = {
      exit: toBoolean(opts.exit, 'options.exit', true),
      signals: toBoolean(opts.signals, 'options.signals', true),
      finalization: toBoolean(opts.finalization, 'options.finalization', true),
    };
    this.#assertOpen();
    setExitHooks(this, this.#file, hooks, this.#logger);
  }

  /**
   * The uuid in the lock file now, whoever wrote it (a ShmLock or a Python shmlock holder);
   * null when there is no file or its uuid is not written yet. For debugging: the answer may
   * be stale as soon as it returns. Throws `LockPathError` when the name is not a regular file.
   */
  debugGetUuidOfLockingLock(): string | null {
    return this.#file.holderUuid();
  }

  /**
   * After an interrupted acquire (or at any time): throws `ShmLockInconsistentError` when the
   * lock file is in a state the protocol does not allow (wrong size, unreadable, not a
   * regular file, held by this instance without its uuid, or left empty by an interrupted
   * create, which the next acquire removes once it is older than max(1 s, 20 x pollInterval));
   * returns undefined when all is well. May pause the thread up to about 40 ms to tell a
   * create in progress from a dangling file.
   */
  queryForErrorAfterInterrupt(): undefined {
    this.#file.check();
    return undefined;
  }

  /**
   * Ends this instance: releases the lock if held (whatever the nesting count), removes its
   * exit hooks (process listeners no other instance needs go too), stops following the
   * AbortSignal given as `exitEvent` (an `ExitEvent` given by the caller stays the caller's),
   * and rejects pending acquires with {@link LockClosedError}. Idempotent. Acquires afterwards
   * throw (or reject with) {@link LockClosedError}; `release()` returns false.
   */
  close(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    try {
      this.#file.release();
    } finally {
      this.#queue?.close();
      clearExitHooks(this, this.#file);
      if (this.#ownsExit) this.#exit[Symbol.dispose]();
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

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw new LockClosedError(`${this.toString()}: this ShmLock is closed`);
  }

  /** `ShmLock(name=…, uuid=…, pollInterval=…, description=…)`. */
  toString(): string {
    return `ShmLock(name=${this.name}, uuid=${this.uuid}, pollInterval=${this.pollInterval}, description=${this.#description})`;
  }

  #log(message: string): void {
    this.#logger?.debug(`${this.toString()}: ${message}`);
  }
}

/**
 * Resolves after `ms` (never when undefined) with `'timeout'`, or with `'stopped'` as soon as
 * one of `stops` aborts. `cancel()` frees the timer and the listeners.
 */
function pause(stops: readonly AbortSignal[], ms: number | undefined): { promise: Promise<'timeout' | 'stopped'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<'timeout' | 'stopped'>((resolve) => {
    if (stops.some((signal) => signal.aborted)) {
      resolve('stopped');
      return;
    }
    onAbort = () => resolve('stopped');
    for (const signal of stops) signal.addEventListener('abort', onAbort, { once: true });
    if (ms !== undefined) timer = setTimeout(() => resolve('timeout'), ms);
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(timer);
      if (onAbort !== undefined) for (const signal of stops) signal.removeEventListener('abort', onAbort);
    },
  };
}
