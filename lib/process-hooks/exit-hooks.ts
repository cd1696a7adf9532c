/**
 * Process-wide hooks behind `ShmLock.addExitHandlers()`: release named locks on process
 * `'exit'`, on SIGINT/SIGTERM/SIGHUP, and when a `ShmLock` is garbage-collected while held.
 *
 * The hooks keep the instance's {@link ShmLockFile}, which never refers to its `ShmLock`, so
 * registering them does not keep an instance alive. One listener per event serves every
 * instance. After releasing on a signal, the signal keeps its default outcome: when no other
 * listener handles it, ours removes itself and sends the signal again, so the process ends
 * the way it would have without us (killed by that signal).
 *
 * JS listeners cannot run while the thread is blocked in a synchronous wait, so during one
 * ({@link withoutSignalHooks}) our signal listeners step aside and the signals take their
 * default action: a SIGTERM ends a process stuck in `acquireSync` at once instead of never.
 * The named locks it held are then freed by the next waiter's crash recovery (the kernel
 * dropped their kernel locks with the process).
 *
 * @packageDocumentation
 */
import type { Logger } from '../logger';
import type { ShmLockFile } from '../shm-lock/file';

/** Which events release a lock; see `ShmLock.addExitHandlers`. */
export interface ExitHooks {
  readonly exit: boolean;
  readonly signals: boolean;
  readonly finalization: boolean;
}

interface Entry extends ExitHooks {
  readonly logger: Logger | undefined;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const hooked = new Map<ShmLockFile, Entry>();

const finalizer = new FinalizationRegistry<ShmLockFile>((file) => {
  const entry = hooked.get(file);
  if (entry?.finalization === true) releaseQuietly(file, entry, 'garbage collection');
  // Keep a still-held file (finalization off) so that exit and signals can release it.
  if (!file.held) hooked.delete(file);
});

function releaseQuietly(file: ShmLockFile, entry: Entry, why: string): void {
  if (!file.held) return;
  try {
    file.release();
    entry.logger?.debug(`${file.path}: released on ${why}`);
  } catch (err) {
    entry.logger?.error(`${file.path}: release on ${why} failed: ${(err as Error).message}`);
  }
}

function releaseAll(event: 'exit' | 'signals', why: string): void {
  for (const [file, entry] of hooked) if (entry[event]) releaseQuietly(file, entry, why);
}

function onExit(): void {
  releaseAll('exit', 'process exit');
}

function onSignal(signal: NodeJS.Signals): void {
  releaseAll('signals', signal);
  if (process.listenerCount(signal) > 1) return; // someone else handles it
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

/**
 * Sets (replacing earlier settings) which events release `file`, the file of `owner`;
 * `owner`'s garbage collection is observed without keeping it alive.
 */
export function setExitHooks(owner: object, file: ShmLockFile, hooks: ExitHooks, logger: Logger | undefined): void {
  hooked.set(file, { ...hooks, logger });
  finalizer.unregister(owner);
  finalizer.register(owner, file, owner);
  if (hooks.exit && !process.listeners('exit').includes(onExit)) process.on('exit', onExit);
  if (hooks.signals) {
    for (const signal of SIGNALS) if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
  }
}

/**
 * Runs `fn`, a synchronous wait that blocks the thread, with our signal listeners removed
 * where they are the only listener (so SIGINT/SIGTERM/SIGHUP keep their default action
 * meanwhile), and puts them back afterwards. A signal some other listener handles is left
 * alone: that listener's owner chose to handle it.
 */
export function withoutSignalHooks<T>(fn: () => T): T {
  const removed = SIGNALS.filter((signal) => process.listeners(signal).length === 1 && process.listeners(signal)[0] === onSignal);
  for (const signal of removed) process.removeListener(signal, onSignal);
  try {
    return fn();
  } finally {
    for (const signal of removed) process.on(signal, onSignal);
  }
}
