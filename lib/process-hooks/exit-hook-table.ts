/**
 * The hooks behind `ShmLock.addExitHandlers()`: release named locks on process `'exit'` and
 * when SIGINT/SIGTERM/SIGHUP is about to kill the process; warn when a `ShmLock`
 * is garbage-collected while it holds its lock (the lock stays held: the program may still be
 * inside its critical section, `if (await lock.acquire()) await migrate()`; the exit hook
 * releases it when the process ends).
 *
 * The hooks keep the instance's {@link ShmLockFile}, which never refers to its `ShmLock`, so
 * registering them does not keep an instance alive. One listener per event serves every
 * instance, and it is removed once no instance needs it ({@link ExitHookTable.clear}). Each JS
 * thread has one table, in its `ThreadState` (`process-hooks/thread-state.ts`).
 *
 * A signal releases only when the process is really about to die from it: when another
 * listener handles the signal (registered before or after ours, with `on` or `once`), the
 * application chose to keep running (to drain work, say) and its locks stay held. When ours is the only listener, it releases, removes itself and
 * sends the signal again, so the process ends the way it would have without us.
 *
 * JS listeners cannot run while the thread is blocked in a synchronous wait, so during one
 * ({@link ExitHookTable.withoutSignalHooks}) our signal listeners step aside and the signals
 * take their default action: a SIGTERM ends a process stuck in `acquireSync` at once instead
 * of never.
 * The named locks it held are then freed by the next waiter's crash recovery (the kernel
 * dropped their kernel locks with the process).
 *
 * @packageDocumentation
 */
import type { Logger } from '../logger';
import type { ShmLockFile } from '../shm-lock/file';

/** Which events release a lock (or, for `finalization`, warn); see `ShmLock.addExitHandlers`. */
export interface ExitHooks {
  readonly exit: boolean;
  readonly signals: boolean;
  readonly finalization: boolean;
}

interface Entry extends ExitHooks {
  readonly logger: Logger | undefined;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function releaseQuietly(file: ShmLockFile, entry: Entry, why: string): void {
  if (!file.held) return;
  try {
    file.release();
    entry.logger?.debug(`${file.path}: released on ${why}`);
  } catch (err) {
    entry.logger?.error(`${file.path}: release on ${why} failed: ${(err as Error).message}`);
  }
}

/** The ShmLock files one JS thread releases on exit and signals, and the process listeners serving them. */
export class ExitHookTable {
  readonly #hooked = new Map<ShmLockFile, Entry>();

  readonly #finalizer = new FinalizationRegistry<ShmLockFile>((file) => {
    const entry = this.#hooked.get(file);
    if (!file.held) {
      this.#hooked.delete(file);
      this.#updateListeners();
      return;
    }
    // Still held: keep the entry so that exit and signals release it; never release here.
    if (entry?.finalization === true) {
      entry.logger?.warn(`${file.path}: a ShmLock was garbage-collected while holding the lock; it stays held until the process ends`);
    }
  });

  readonly #onExit = (): void => {
    this.#releaseAll('exit', 'process exit');
  };

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    // Someone else handles it: the process is not about to die from it, so nothing is released.
    if (process.listenerCount(signal) > 1) return;
    this.#releaseAll('signals', signal);
    process.removeListener(signal, this.#onSignal);
    process.kill(process.pid, signal);
  };

  /**
   * Sets (replacing earlier settings) which events release `file`, the file of `owner`;
   * `owner`'s garbage collection is observed without keeping it alive.
   */
  set(owner: object, file: ShmLockFile, hooks: ExitHooks, logger: Logger | undefined): void {
    this.#hooked.set(file, { ...hooks, logger });
    this.#finalizer.unregister(owner);
    this.#finalizer.register(owner, file, owner);
    this.#updateListeners();
  }

  /**
   * Forgets `file`, the file of `owner` (its owner is closing): no event releases it any more,
   * and process listeners that no other instance needs are removed. Does nothing when none
   * were set.
   */
  clear(owner: object, file: ShmLockFile): void {
    if (!this.#hooked.delete(file)) return;
    this.#finalizer.unregister(owner);
    this.#updateListeners();
  }

  /**
   * Runs `fn`, a synchronous wait that blocks the thread, with our signal listeners removed
   * where they are the only listener (so SIGINT/SIGTERM/SIGHUP keep their default action
   * meanwhile), and puts them back afterwards. A signal some other listener handles is left
   * alone: that listener's owner chose to handle it.
   */
  withoutSignalHooks<T>(fn: () => T): T {
    // No instance asked for signal hooks (the usual case): nothing to step aside, no arrays built.
    if (!this.#wants('signals')) return fn();
    const removed = SIGNALS.filter((signal) => process.listeners(signal).length === 1 && process.listeners(signal)[0] === this.#onSignal);
    for (const signal of removed) process.removeListener(signal, this.#onSignal);
    try {
      return fn();
    } finally {
      if (removed.length > 0) this.#updateListeners();
    }
  }

  #releaseAll(event: 'exit' | 'signals', why: string): void {
    for (const [file, entry] of this.#hooked) if (entry[event]) releaseQuietly(file, entry, why);
  }

  #wants(event: 'exit' | 'signals'): boolean {
    for (const entry of this.#hooked.values()) if (entry[event]) return true;
    return false;
  }

  /** Adds our process listeners where some entry needs them and removes them where none does. */
  #updateListeners(): void {
    const exit = this.#wants('exit');
    if (exit !== process.listeners('exit').includes(this.#onExit)) {
      if (exit) process.on('exit', this.#onExit);
      else process.removeListener('exit', this.#onExit);
    }
    const signals = this.#wants('signals');
    for (const signal of SIGNALS) {
      if (signals === process.listeners(signal).includes(this.#onSignal)) continue;
      // First in line: an application's `once` listener removes itself when it runs, so ours
      // must look before it does.
      if (signals) process.prependListener(signal, this.#onSignal);
      else process.removeListener(signal, this.#onSignal);
    }
  }
}
