/**
 * `LockManager`: the W3C Web Locks API (`navigator.locks`) across every process and worker
 * thread of the machine that uses the same registry path.
 *
 * How a request travels (see `registry.ts` for the file):
 * 1. Under the registry's meta lock: scan the live slots, take a ticket (one more than any
 *    live one), and either grant at once (no live request of the name is in the way), answer
 *    `null` (`ifAvailable`), steal (mark the name's holders stolen, ring the steal bell), or
 *    enqueue a pending slot and put a watch on every *blocker*: each held request of the name
 *    and each earlier pending one, unless both are shared.
 * 2. Wait, on a waiter thread, for each blocker's liveness lock to go (its owner released,
 *    aborted, was stolen from or died); then rescan under the meta lock and either mark the
 *    slot held or wait for the new blockers (a steal may have added one).
 * 3. Run the callback; when its promise settles, free the slot (which wakes the next waiter
 *    through the kernel) and settle `request()` with the callback's outcome.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { DeadlockError, InvalidArgumentError, LockClosedError, LockSystemError, LockTimeoutError } from '../errors/errors';
import { toFunction, toOptions, toPath, toString, toTimeout } from '../args/spec';
import { withoutSignalHooks } from '../process-hooks/exit-hooks';
import { setLock } from '../sys/fcntl';
import { waitInThread, waitUntil } from '../process-hooks/thread-state';
import type { WaitTicket } from '../wait/pool';
import { defaultRegistryPath } from './default-path';
import { lockWith, type LockManagerHandle, type LockManagerLockOptions } from './lock-handle';
import { encodeName, type EncodedName, livenessByte, Registry, type Slot, SlotState, watchByte } from './registry';
import { parseRequest, type RequestArgs } from './request-args';
import { StealBell } from './steal-bell';
import type { Lock, LockGrantedCallback, LockInfo, LockManagerLike, LockManagerSnapshot, LockRequestOptions } from './types';

/** Options of the {@link LockManager} constructor. */
export interface LockManagerOptions {
  /**
   * Registry file of the namespace; every manager (any process, any thread) with the same
   * path shares one set of lock names. A second file, `<path>.steal`, carries steal
   * notifications. Default: one per user and machine, `/dev/shm/locksfile-<uid>.locks`
   * (or in `os.tmpdir()` without `/dev/shm`), mode 0600.
   */
  readonly path?: string;
  /** The id `query()` reports for this manager's requests. Default: a random uuid. */
  readonly clientId?: string;
}

/** Options of {@link LockManager.requestSync}: those of `request()` without `signal`, plus `timeout`. */
export interface LockRequestSyncOptions extends Omit<LockRequestOptions, 'signal'> {
  /** Give up after this many milliseconds (`LockTimeoutError`); `0` tries once; absent waits forever. */
  readonly timeout?: number;
}

/** What step 1 decided. */
type Outcome = 'granted' | 'unavailable' | 'queued';

/** Where a request is in its life. */
type Phase = 'pending' | 'held' | 'done';

/** One call of `request()` or `requestSync()`, from its enqueue to its end. */
interface Call {
  readonly args: RequestArgs<unknown>;
  readonly name: EncodedName;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  unit: number;
  ticket: number;
  phase: Phase;
  /** The kernel wait in progress, to cancel on abort. */
  wait: WaitTicket | undefined;
  /** Blocker units watched and not yet seen gone. */
  watching: number[];
  onAbort: (() => void) | undefined;
}

/**
 * Web Locks across processes and threads. `request(name, options?, callback)` runs
 * `callback` while holding the named lock and settles with its outcome; `query()` lists
 * held and pending requests of the whole namespace. Semantics are those of the W3C spec:
 * one FIFO queue per name, shared requests at the head of a queue granted together,
 * `ifAvailable`, `steal` and `signal` as specified. A request whose process dies leaves the
 * queue at once (the kernel drops its lock).
 *
 * The registry file is opened on first use, so constructing a manager is free.
 */
export class LockManager implements LockManagerLike {
  /** The id this manager reports in `query()` entries. */
  readonly clientId: string;
  /** The registry file of the namespace. */
  readonly path: string;
  readonly #ownerOnly: boolean;
  readonly #clientBytes: EncodedName;
  #registry: Registry | undefined;
  #bell: StealBell | undefined;
  /** Blocker units watched (W read lock through `watchFd`) and by how many waits. */
  readonly #watches = new Map<number, number>();
  readonly #live = new Set<Call>();
  /** First units of the slots this manager owns (their liveness locks are ours). */
  readonly #units = new Set<number>();
  #closed = false;
  #lastName: [string, EncodedName] | undefined;

  /**
   * A manager of the namespace at `options.path` (default: the per-user one). Opens nothing:
   * the registry file is opened by the first request or query. Throws
   * `InvalidArgumentError` for a path that is empty or contains NUL, or a non-string clientId.
   */
  constructor(options?: LockManagerOptions) {
    const o = toOptions(options);
    this.#ownerOnly = o.path === undefined;
    this.path = o.path === undefined ? defaultRegistryPath() : toPath(o.path, 'options.path');
    this.clientId = toString(o.clientId, 'options.clientId', randomUUID());
    this.#clientBytes = encodeName(this.clientId);
  }

  /**
   * Requests the lock `name` and runs `callback` with it (or with `null` when `ifAvailable`
   * found it unavailable). Resolves or rejects with the callback's outcome once the lock is
   * released; rejects with an `AbortError` `DOMException` when `steal` took the lock away
   * (the callback keeps running), with `signal.reason` when `signal` aborted before the
   * grant, with the spec's `TypeError` / `NotSupportedError` for bad arguments, and with
   * {@link LockClosedError} after {@link close}.
   */
  request<T>(name: string, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  request<T>(name: string, options: LockRequestOptions, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  request<T>(name: string, optionsOrCallback: LockRequestOptions | LockGrantedCallback<T>, maybeCallback?: LockGrantedCallback<T>): Promise<Awaited<T>> {
    let args: RequestArgs<T>;
    try {
      args = parseRequest<T>(name, optionsOrCallback, maybeCallback);
      this.#assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    if (args.signal?.aborted === true) return Promise.reject(args.signal.reason);
    return new Promise<Awaited<T>>((resolve, reject) => this.#enqueue(this.#call(args, resolve as (value: unknown) => void, reject)));
  }

  /**
   * Synchronous {@link request} for scripts that cannot await: queues like `request()` (same
   * FIFO, modes, `ifAvailable` and `steal`), blocks this thread until granted, runs `fn` with
   * the lock (or `null`), releases when `fn` returns or throws, and returns `fn`'s result.
   * `fn` should be synchronous: a promise it returns is not awaited. Options add `timeout`
   * (ms; absent waits forever, 0 tries once) and refuse `signal`.
   *
   * Throws like `request()` rejects, plus {@link LockTimeoutError} when `timeout` ran out
   * (nothing stays queued) and {@link DeadlockError} when the request would wait for an
   * async request of this same manager, which cannot finish while the thread is blocked.
   * A steal of a lock held by `requestSync` is noticed only when `fn` returns.
   */
  requestSync<T>(name: string, fn: (lock: Lock | null) => T): T;
  requestSync<T>(name: string, options: LockRequestSyncOptions, fn: (lock: Lock | null) => T): T;
  requestSync<T>(name: string, optionsOrFn: object | ((lock: Lock | null) => T), maybeFn?: (lock: Lock | null) => T): T {
    const raw = typeof optionsOrFn === 'function' ? {} : toOptions(optionsOrFn);
    if (raw.signal !== undefined) throw new InvalidArgumentError('ERR_INVALID_ARG_VALUE', 'options.signal', 'is only supported by request()');
    const timeout = toTimeout(raw.timeout, 'options.timeout');
    const args = parseRequest<T>(name, optionsOrFn, maybeFn);
    this.#assertOpen();
    const req = this.#call(
      args,
      () => undefined,
      () => undefined,
    );
    const outcome = this.#enter(req);
    if (outcome === 'unavailable') return (args.callback as (lock: Lock | null) => T)(null);
    if (outcome === 'queued') this.#waitSync(req, timeout === undefined ? undefined : performance.now() + timeout);
    req.phase = 'held';
    try {
      return (args.callback as (lock: Lock) => T)(Object.freeze({ name: args.name, mode: args.mode }));
    } finally {
      this.#releaseHeld(req);
    }
  }

  /** Step 2 of {@link requestSync}: waits in this thread; on timeout leaves the queue and throws. */
  #waitSync(req: Call, deadline: number | undefined): void {
    const registry = this.#registry as Registry;
    try {
      for (;;) {
        for (let unit = req.watching[0]; unit !== undefined; unit = req.watching[0]) {
          if (this.#units.has(unit)) {
            throw new DeadlockError(`requestSync(${JSON.stringify(req.args.name)}) would wait for a request of this same manager`);
          }
          const at = livenessByte(unit);
          if (!setLock(registry.watchFd, 'ofd', 'read', at, 1)) {
            const end = withoutSignalHooks(() => waitUntil(registry.watchFd, 'ofd', 'read', at, 1, deadline, () => false));
            if (end !== 'granted') throw new LockTimeoutError(`lock ${JSON.stringify(req.args.name)} not granted within the timeout`);
          }
          setLock(registry.watchFd, 'ofd', 'unlock', at, 1);
          req.watching.shift();
          this.#unwatch(unit);
        }
        if (this.#tryGrant(req)) return;
      }
    } catch (err) {
      req.phase = 'done';
      this.#release(req);
      throw err;
    } finally {
      for (const unit of req.watching.splice(0)) this.#unwatch(unit);
      this.#closeIfIdle();
    }
  }

  /**
   * The lock `name` as a handle, in the vocabulary shared with `LocksFile` and `ShmLock`:
   * queues like {@link request} (same FIFO and modes), resolves once granted, and holds the
   * lock until the handle's `release()` (or `using` / `await using`). Rejects with
   * {@link LockTimeoutError} when `timeout` ms ran out (`0` tries once), {@link LockBusyError}
   * when `blocking: false` found it taken, `LockAbortError` (name `'AbortError'`)
   * when `signal` aborts, `InvalidArgumentError` for bad options, {@link LockClosedError}
   * after {@link close}; nothing stays queued then. A steal frees the lock without telling
   * the handle.
   */
  lock(name: string, options?: LockManagerLockOptions): Promise<LockManagerHandle> {
    return lockWith(this, name, options);
  }

  /**
   * Runs `fn` holding the lock `name` (see {@link lock}), then releases it, whether `fn`
   * returns, throws or rejects; resolves with `fn`'s result. The callback is last:
   * `withLock(name, fn)` or `withLock(name, options, fn)`. Rejects like {@link lock} when the
   * lock is not acquired (then `fn` does not run).
   */
  withLock<T>(name: string, fn: () => T | PromiseLike<T>): Promise<T>;
  withLock<T>(name: string, options: LockManagerLockOptions | undefined, fn: () => T | PromiseLike<T>): Promise<T>;
  async withLock<T>(name: string, ...rest: unknown[]): Promise<T> {
    const run = toFunction<() => T | PromiseLike<T>>(rest[rest.length - 1], 'fn');
    const handle = await this.lock(name, rest.length > 1 ? (rest[0] as LockManagerLockOptions | undefined) : undefined);
    try {
      return await run();
    } finally {
      await handle[Symbol.asyncDispose]();
    }
  }

  /** Held locks and pending requests of the whole namespace (all processes), pending in queue order. */
  query(): Promise<LockManagerSnapshot> {
    try {
      this.#assertOpen();
      const registry = this.#open();
      return Promise.resolve(
        registry.locked(() => {
          const slots = registry.scan(this.#units).sort((a, b) => a.ticket - b.ticket);
          const info = (slot: Slot): LockInfo => ({ name: registry.nameOf(slot), mode: slot.mode, clientId: registry.clientOf(slot) });
          return {
            held: slots.filter((s) => s.state === SlotState.Held).map(info),
            pending: slots.filter((s) => s.state === SlotState.Pending).map(info),
          };
        }),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Closes the manager: pending requests leave their queues and reject with
   * {@link LockClosedError}; held locks stay held until their callbacks settle, then the
   * registry is closed. Later calls reject with {@link LockClosedError}. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const req of this.#live) {
      if (req.phase === 'pending') this.#abandon(req, new LockClosedError(`${this.path}: the LockManager was closed while the request was pending`));
    }
    this.#closeIfIdle();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #call<T>(args: RequestArgs<T>, resolve: (value: unknown) => void, reject: (reason: unknown) => void): Call {
    return {
      args: args,
      name: this.#encode(args.name),
      resolve,
      reject,
      unit: -1,
      ticket: 0,
      phase: 'pending',
      wait: undefined,
      watching: [],
      onAbort: undefined,
    };
  }

  /** {@link encodeName}, remembering the last name (a loop on one name encodes it once). */
  #encode(name: string): EncodedName {
    if (this.#lastName?.[0] !== name) this.#lastName = [name, encodeName(name)];
    return this.#lastName[1];
  }

  #assertOpen(): void {
    if (this.#closed) throw new LockClosedError(`${this.path}: this LockManager is closed`);
  }

  #open(): Registry {
    if (this.#registry !== undefined) return this.#registry;
    const registry = new Registry(this.path, { ownerOnly: this.#ownerOnly });
    try {
      this.#bell = new StealBell(`${this.path}.steal`, this.#ownerOnly, () => this.#checkStolen());
    } catch (err) {
      registry.close();
      throw err;
    }
    this.#registry = registry;
    return registry;
  }

  #closeIfIdle(): void {
    if (!this.#closed || this.#live.size > 0 || this.#watches.size > 0) return;
    this.#bell?.close();
    this.#registry?.close();
    this.#bell = undefined;
    this.#registry = undefined;
  }

  /** Step 1 for `request()`: {@link #enter}, then the grant, the `null` answer or the wait. */
  #enqueue(req: Call): void {
    let outcome: Outcome;
    try {
      outcome = this.#enter(req);
    } catch (err) {
      req.reject(err);
      return;
    }
    if (outcome === 'granted') this.#grant(req);
    else if (outcome === 'unavailable') this.#invoke(req, null);
    else this.#waitForBlockers(req);
  }

  /**
   * Step 1 (see the module documentation), synchronous so that calls queue in call order.
   * After a steal, rings the bell and settles this manager's own stolen holders.
   */
  #enter(req: Call): Outcome {
    const { args } = req;
    let stole = false;
    const registry = this.#open();
    let outcome: Outcome;
    try {
      outcome = registry.locked((): Outcome => {
        const slots = registry.scan(this.#units);
        req.ticket = slots.reduce((max, s) => Math.max(max, s.ticket), 0) + 1;
        if (args.steal) {
          for (const slot of slots) {
            if (slot.state === SlotState.Held && registry.isNamed(slot, req.name)) {
              registry.setState(slot.unit, SlotState.Stolen);
              stole = true;
            }
          }
        }
        const blockers = args.steal ? [] : this.#blockers(slots, req);
        if (blockers.length > 0 && args.ifAvailable) return 'unavailable';
        req.unit = registry.allocate(slots, blockers.length === 0 ? SlotState.Held : SlotState.Pending, args.mode, req.ticket, req.name, this.#clientBytes);
        this.#units.add(req.unit);
        this.#live.add(req);
        if (blockers.length === 0) return 'granted';
        this.#watch(req, blockers);
        return 'queued';
      });
    } catch (err) {
      // A failure after the allocation (e.g. a watch refused) must not leave the slot behind.
      for (const unit of req.watching.splice(0)) this.#unwatch(unit);
      this.#release(req);
      throw err;
    } finally {
      // Holders marked stolen must hear of it even if this request then failed.
      if (stole) {
        this.#bell?.ring();
        this.#checkStolen();
      }
    }
    return outcome;
  }

  /** Step 2's rescan: marks `req` held when nothing is in its way, else watches the new blockers. */
  #tryGrant(req: Call): boolean {
    const registry = this.#registry as Registry;
    return registry.locked(() => {
      const blockers = this.#blockers(registry.scan(this.#units), req);
      if (blockers.length === 0) {
        registry.setState(req.unit, SlotState.Held);
        return true;
      }
      this.#watch(req, blockers);
      return false;
    });
  }

  /**
   * Units of the live requests of `req`'s name that must go before it is granted, latest
   * ticket first: a waiter then sleeps on its direct predecessor, and by the time that one
   * has gone the earlier ones usually have too (one wake-up per hand-over, not one per waiter).
   */
  #blockers(slots: readonly Slot[], req: Call): number[] {
    const registry = this.#registry as Registry;
    const shared = req.args.mode === 'shared';
    const out: Slot[] = [];
    for (const slot of slots) {
      if (slot.unit === req.unit || slot.state === SlotState.Stolen) continue;
      if (slot.state === SlotState.Pending && slot.ticket >= req.ticket) continue;
      if (shared && slot.mode === 'shared') continue;
      if (registry.isNamed(slot, req.name)) out.push(slot);
    }
    return out.sort((a, b) => b.ticket - a.ticket).map((slot) => slot.unit);
  }

  /** Puts a watch (W read lock) on each blocker so that its slot is not reused while we wait for it. */
  #watch(req: Call, units: readonly number[]): void {
    const registry = this.#registry as Registry;
    for (const unit of units) {
      const count = this.#watches.get(unit) ?? 0;
      if (count === 0 && !setLock(registry.watchFd, 'ofd', 'read', watchByte(unit), 1)) {
        throw new LockSystemError('fcntl(F_OFD_SETLK)', 'EAGAIN', `watch byte of slot ${unit} is write-locked outside an allocation`);
      }
      this.#watches.set(unit, count + 1);
      req.watching.push(unit);
    }
  }

  #unwatch(unit: number): void {
    const count = (this.#watches.get(unit) ?? 1) - 1;
    if (count > 0) {
      this.#watches.set(unit, count);
      return;
    }
    this.#watches.delete(unit);
    const registry = this.#registry;
    if (registry !== undefined) setLock(registry.watchFd, 'ofd', 'unlock', watchByte(unit), 1);
  }

  /** Step 2: waits for the blockers to go, rescans, and grants or waits again. */
  #waitForBlockers(req: Call): void {
    const signal = req.args.signal;
    if (signal !== undefined) {
      req.onAbort = () => this.#abandon(req, signal.reason);
      signal.addEventListener('abort', req.onAbort, { once: true });
    }
    void this.#waitLoop(req).catch((err: unknown) => this.#abandon(req, err));
  }

  async #waitLoop(req: Call): Promise<void> {
    try {
      for (;;) {
        while (req.watching.length > 0) {
          const unit = req.watching[0];
          await this.#waitGone(req, unit);
          if (req.phase !== 'pending') return;
          req.watching.shift();
          this.#unwatch(unit);
        }
        if (this.#tryGrant(req)) {
          this.#grant(req);
          return;
        }
      }
    } finally {
      for (const unit of req.watching.splice(0)) this.#unwatch(unit);
      this.#closeIfIdle();
    }
  }

  /** Resolves once nobody holds the liveness lock of `unit` any more (or the request ended). */
  async #waitGone(req: Call, unit: number): Promise<void> {
    const registry = this.#registry as Registry;
    const at = livenessByte(unit);
    if (!setLock(registry.watchFd, 'ofd', 'read', at, 1)) {
      const wait = waitInThread({ fd: registry.watchFd, backend: 'ofd', write: false, start: at, count: 1 });
      req.wait = wait;
      let end;
      try {
        end = await wait.done;
      } finally {
        req.wait = undefined;
      }
      if (end !== 'granted') {
        if (req.phase === 'pending') throw new LockSystemError('fcntl(F_OFD_SETLKW)', 'EINTR', 'the wait stopped without being cancelled');
        return;
      }
    }
    setLock(registry.watchFd, 'ofd', 'unlock', at, 1);
  }

  /**
   * Ends a pending request without a grant: leaves the queue at once (so `query()` shows no
   * ghost), rejects with `reason`, and lets the wait loop wind down its kernel wait.
   */
  #abandon(req: Call, reason: unknown): void {
    if (req.phase !== 'pending') return;
    req.phase = 'done';
    this.#detachSignal(req);
    req.wait?.cancel();
    this.#release(req);
    req.reject(reason);
  }

  #detachSignal(req: Call): void {
    if (req.onAbort !== undefined) req.args.signal?.removeEventListener('abort', req.onAbort);
    req.onAbort = undefined;
  }

  #grant(req: Call): void {
    req.phase = 'held';
    this.#detachSignal(req);
    this.#invoke(req, Object.freeze({ name: req.args.name, mode: req.args.mode }));
  }

  /** Step 3: runs the callback in a later microtask; releases when its result settles. */
  #invoke(req: Call, lock: Lock | null): void {
    const settle = (ok: boolean, value: unknown): void => {
      this.#releaseHeld(req);
      if (ok) req.resolve(value);
      else req.reject(value);
    };
    queueMicrotask(() => {
      let result: unknown;
      try {
        result = req.args.callback(lock);
      } catch (err) {
        settle(false, err);
        return;
      }
      if (isThenable(result)) {
        Promise.resolve(result).then(
          (value) => settle(true, value),
          (err: unknown) => settle(false, err),
        );
      } else {
        settle(true, result);
      }
    });
  }

  /** Frees the slot of a request that is still held (no-op after a steal freed it). */
  #releaseHeld(req: Call): void {
    if (req.phase !== 'held') return;
    req.phase = 'done';
    this.#release(req);
  }

  #release(req: Call): void {
    if (req.unit >= 0) {
      this.#units.delete(req.unit);
      this.#registry?.free(req.unit);
      req.unit = -1;
    }
    this.#live.delete(req);
    this.#closeIfIdle();
  }

  /** After a steal bell: frees every held slot of this manager that a stealer marked stolen. */
  #checkStolen(): void {
    const registry = this.#registry;
    if (registry === undefined) return;
    for (const req of this.#live) {
      if (req.phase !== 'held' || registry.stateOf(req.unit) !== SlotState.Stolen) continue;
      req.phase = 'done';
      this.#release(req);
      req.reject(new DOMException(`the lock ${JSON.stringify(req.args.name)} was stolen`, 'AbortError'));
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The default manager: namespace at the default path (see {@link LockManagerOptions.path}),
 * random `clientId`. Like every manager it opens its registry on first use, so importing the
 * library costs nothing.
 */
export const locks = new LockManager();
