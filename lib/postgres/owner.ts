/**
 * What both PostgreSQL facades share: a main session that holds the locks, a side session
 * (opened on first need) for cancels and observation, and the loss state: once a session
 * that holds or waits for locks dies, `'lost'` is emitted (and `onLost` called) once and
 * every later call rejects with that {@link LockLostError}.
 *
 * @packageDocumentation
 */
import type { EventEmitter } from 'node:events';
import type { ClientConfig } from 'pg';
import { LockClosedError, type LockLostError } from '../errors/errors';
import { toFunction } from '../args/spec';
import { Session } from './session';

/** `onLost` option, validated. */
export function toOnLost(value: unknown): ((error: LockLostError) => void) | undefined {
  return value === undefined ? undefined : toFunction<(error: LockLostError) => void>(value, 'options.onLost');
}

/** Loss and close bookkeeping plus the side session, for one facade instance (`events` emits `'lost'`). */
export class OwnerState {
  #lost: LockLostError | undefined;
  #closed = false;
  #side: Promise<Session> | undefined;

  constructor(
    readonly config: ClientConfig,
    private readonly what: string,
    private readonly events: EventEmitter,
    private readonly onLost: ((error: LockLostError) => void) | undefined,
    private readonly abandonAll: (error: Error) => void,
  ) {}

  /** The loss, once a lock-holding session died. */
  get lost(): LockLostError | undefined {
    return this.#lost;
  }

  /** True once {@link closeSide} ran (the facade was closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Records the loss once, rejects what is pending, emits `'lost'` and calls `onLost`. */
  markLost = (error: LockLostError): void => {
    if (this.#lost !== undefined || this.#closed) return;
    this.#lost = error;
    this.abandonAll(error);
    if (this.events.listenerCount('lost') > 0) this.events.emit('lost', error);
    this.onLost?.(error);
  };

  /** Throws when the instance is closed or lost. */
  assertUsable(): void {
    if (this.#closed) throw new LockClosedError(`this ${this.what} is closed`);
    if (this.#lost !== undefined) throw this.#lost;
  }

  /** The side session (cancels, `query()`, `probe()`); reopened if it died, never after close. Never holds locks. */
  side = async (): Promise<Session> => {
    // Never (re)open one after close: nothing would end it.
    if (this.#closed) throw new LockClosedError(`this ${this.what} is closed`);
    const current = this.#side;
    if (current !== undefined) {
      const s = await current.catch(() => undefined);
      if (s !== undefined && s.lost === undefined) return s;
    }
    const next = Session.open(this.config, () => undefined);
    this.#side = next;
    return next;
  };

  /** Marks closed and ends the side session. */
  async closeSide(): Promise<void> {
    this.#closed = true;
    const side = this.#side;
    this.#side = undefined;
    if (side !== undefined) await (await side.catch(() => undefined))?.close();
  }
}
