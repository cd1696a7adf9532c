/**
 * The tool's signal handling: while it waits for the lock, SIGINT, SIGTERM, SIGHUP, SIGQUIT
 * and SIGUSR2 cancel the wait (the tool then exits 128 + n holding nothing); while the
 * command runs, they are forwarded to it and the tool keeps the lock until the command ends.
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';

/** Signals the tool catches. SIGUSR1 is left alone: Node reserves it for its inspector. */
const CAUGHT: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/** Routes the caught signals to the wait (cancel) or to the running command (forward). */
export class SignalRouter {
  readonly #controller = new AbortController();
  #received: NodeJS.Signals | undefined;
  #child: ChildProcess | undefined;
  readonly #listener = (signal: NodeJS.Signals): void => {
    if (this.#child !== undefined) {
      this.#child.kill(signal);
      return;
    }
    this.#received ??= signal;
    this.#controller.abort(signal);
  };

  constructor() {
    for (const signal of CAUGHT) process.on(signal, this.#listener);
  }

  /** Aborts when a signal arrives before the command started. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The first signal that arrived before the command started, if any. */
  get received(): NodeJS.Signals | undefined {
    return this.#received;
  }

  /** From now on, forward every caught signal to `child`. */
  forwardTo(child: ChildProcess): void {
    this.#child = child;
  }

  /** Removes the listeners (the signals get their default action again). */
  dispose(): void {
    for (const signal of CAUGHT) process.off(signal, this.#listener);
  }
}
