/**
 * `ExitEvent`: the counterpart of the `multiprocessing.Event` that Python's shmlock checks
 * while it waits. While the event is set, every acquire of a `ShmLock` that uses it stops
 * waiting: `acquire()` returns false, `lock()`/`withLock()` reject with `LockAbortError`;
 * clearing it makes acquires work again.
 *
 * Unlike an `AbortSignal`, an event can be cleared. Each "set" period is exposed as an
 * `AbortSignal` ({@link ExitEvent.signal}) so the event plugs into any API that takes a
 * signal (`fetch`, `timers/promises`, `events.once`...), and an `AbortSignal` can drive an
 * event (`new ExitEvent(signal)`).
 *
 * The event lives in one JS thread. A `ShmLock` waiting asynchronously hears `set()` at
 * once; `acquireSync` can only notice it between its kernel waits, which never happens while
 * the same thread is blocked, so set it before calling a sync acquire.
 *
 * @packageDocumentation
 */
import { toSignal } from '../args/spec';

/** A settable and clearable flag that stops `ShmLock` acquires while it is set. */
export class ExitEvent implements Disposable {
  #controller = new AbortController();
  /** The trigger and our listener on it, until it fires or {@link [Symbol.dispose]} runs. */
  #trigger: { readonly signal: AbortSignal; readonly listener: () => void } | undefined;

  /**
   * A cleared event. When `trigger` is given, the event is set when `trigger` aborts (at
   * once if it already has); `clear()` still clears it afterwards. The listener this puts on
   * `trigger` stays until it fires or the event is disposed.
   */
  constructor(trigger?: AbortSignal) {
    const signal = toSignal(trigger, 'trigger');
    if (signal === undefined) return;
    if (signal.aborted) {
      this.set();
      return;
    }
    const listener = (): void => {
      this.#trigger = undefined;
      this.set();
    };
    this.#trigger = { signal, listener };
    signal.addEventListener('abort', listener, { once: true });
  }

  /** Stops following the trigger signal (removes its listener); the event keeps its state and stays usable. */
  [Symbol.dispose](): void {
    const trigger = this.#trigger;
    this.#trigger = undefined;
    trigger?.signal.removeEventListener('abort', trigger.listener);
  }

  /** Sets the event: pending and future acquires return false until {@link clear}. Idempotent. */
  set(): void {
    this.#controller.abort();
  }

  /** Clears the event. Acquires work again; {@link signal} becomes a fresh, unaborted signal. */
  clear(): void {
    if (this.#controller.signal.aborted) this.#controller = new AbortController();
  }

  /** Whether the event is set. */
  isSet(): boolean {
    return this.#controller.signal.aborted;
  }

  /**
   * An `AbortSignal` that aborts when the event is set. It is aborted while the event is set;
   * after {@link clear} this getter returns a new signal, so read it when you need it rather
   * than keeping an old one.
   */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }
}
