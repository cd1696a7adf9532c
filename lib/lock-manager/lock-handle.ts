/**
 * The vocabulary shared with `LocksFile` and `ShmLock` (`lock()` resolving a handle,
 * `withLock()` with the callback last, typed rejections), built on any Web Locks manager's
 * `request()`: the granted callback returns a promise that only the handle's release
 * settles, so the lock stays held exactly as long as the handle.
 *
 * @packageDocumentation
 */
import { toBoolean, toChoice, toOptions, toSignal, toString, toTimeout } from '../args/spec';
import { LockAbortError, LockBusyError, LockTimeoutError } from '../errors/errors';
import type { LockManagerLike, LockMode } from './types';

/** Options of `LockManager.lock()` and `withLock()`: the ones every facade of locksfile shares, plus `mode`. */
export interface LockManagerLockOptions {
  /** `'exclusive'` (default) or `'shared'`. */
  readonly mode?: LockMode;
  /** Give up after this many milliseconds (rejecting with `LockTimeoutError`); `0` tries once. Default: wait without limit. */
  readonly timeout?: number;
  /** `false`: try once and reject with `LockBusyError` when the lock is taken. Default true. */
  readonly blocking?: boolean;
  /** Abort the wait, rejecting with `LockAbortError` (`cause`: the signal's reason). */
  readonly signal?: AbortSignal;
}

/** A granted Web Lock held until {@link release}: `await using` releases it. */
export interface LockManagerHandle {
  /** The lock's name. */
  readonly name: string;
  /** The mode it was granted in. */
  readonly mode: LockMode;
  /**
   * Lets the lock go (no-op the second time). The manager frees it within the next
   * microtasks, as when a `request()` callback's promise settles.
   */
  release(): void;
  /** Same as {@link release}, for `using`. */
  [Symbol.dispose](): void;
  /** {@link release}, resolving once the manager has freed the lock. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * `manager.request(name, ...)` held by a handle: resolves once granted; rejects with
 * `LockBusyError` (`blocking: false` found it taken), `LockTimeoutError` (also `timeout: 0`,
 * as in the other facades), `LockAbortError`, or what
 * `request()` rejects with (e.g. `LockClosedError`). Nothing stays queued after a rejection.
 */
export async function lockWith(manager: LockManagerLike, name: string, options?: LockManagerLockOptions): Promise<LockManagerHandle> {
  toString(name, 'name');
  const o = toOptions(options);
  const mode = toChoice<LockMode>(o.mode, 'options.mode', ['exclusive', 'shared'], 'exclusive');
  const timeout = toTimeout(o.timeout, 'options.timeout');
  const blocking = toBoolean(o.blocking, 'options.blocking', true);
  const signal = toSignal(o.signal, 'options.signal');
  const what = `lock ${JSON.stringify(name)}`;
  if (signal?.aborted === true) throw new LockAbortError(`${what}: aborted`, signal.reason);
  const missed = (): Error => (blocking ? new LockTimeoutError(`${what} not granted within ${timeout} ms`) : new LockBusyError(`${what} is held`));
  if (!blocking || timeout === 0) return await granted(manager, name, { mode, ifAvailable: true }, missed, () => undefined);
  // The request's own signal: it aborts with the typed error, which request() rejects with.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(new LockAbortError(`${what}: aborted`, signal?.reason));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = timeout === undefined ? undefined : setTimeout(() => stop.abort(missed()), timeout);
  const cleanup = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  return await granted(manager, name, { mode, signal: stop.signal }, missed, cleanup);
}

/** Runs the request; `missed` is the error for an `ifAvailable` miss; `settled` runs once it is granted or failed. */
function granted(
  manager: LockManagerLike,
  name: string,
  options: { readonly mode: LockMode; readonly ifAvailable?: boolean; readonly signal?: AbortSignal },
  missed: () => Error,
  settled: () => void,
): Promise<LockManagerHandle> {
  return new Promise<LockManagerHandle>((resolve, reject) => {
    // request() rejects with what it was given (signal reasons, DOMExceptions): passed on as is.
    const fail: (reason: unknown) => void = reject;
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const done = manager.request(name, options, (lock) => {
      settled();
      if (lock === null) {
        reject(missed());
        return undefined;
      }
      let open = true;
      const drop = (): void => {
        if (!open) return;
        open = false;
        release();
      };
      resolve({
        name: lock.name,
        mode: lock.mode,
        release: drop,
        [Symbol.dispose]: drop,
        [Symbol.asyncDispose]: async () => {
          drop();
          await done.catch(() => undefined);
        },
      });
      return held;
    });
    // Before the grant: the typed error of the request's signal, or request()'s own. After it
    // (a steal, reported to request()'s caller), the handle has already been given out.
    done.catch((err: unknown) => {
      settled();
      fail(err);
    });
  });
}
