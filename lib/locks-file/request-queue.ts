/**
 * The async requests of one `LocksFile` that were not answered at once: their states, their
 * order, and how they end.
 *
 * One state machine ({@link RequestState}), each transition in one method:
 * - `Queued -> Running` in {@link RequestQueue.pump}: no earlier unsettled request of this
 *   instance overlaps it (call order) and no other scope of the instance holds a
 *   conflicting lock (`ready`);
 * - `Queued -> Settled` and `Running -> Cancelling` in {@link RequestQueue.abandon} (timeout,
 *   abort, cancel by release, close): a queued request ends at once; a running one first
 *   stops its kernel wait, and its runner settles it once nothing of it is held;
 * - `Running | Cancelling -> Settled` in {@link RequestQueue.settle}, which also frees the
 *   timer and abort listener and lets the requests behind it move.
 * Requests that may not wait (`blocking: false`, `timeout: 0`) never enter the queue.
 * An earlier request leaves the queue only once settled, so a later overlapping one never
 * starts while an earlier one still waits, whichever of them is abandoned.
 *
 * Shape after p-queue: {@link RequestQueue.size} (queued), {@link RequestQueue.pending}
 * (running), {@link RequestQueue.onIdle}.
 *
 * @packageDocumentation
 */
import { abortError } from '../errors/acquire-error';
import type { WaitTicket } from '../wait/pool';
import type { Scope } from './owner-locks';

/** Where a request is in its life. */
export enum RequestState {
  /** Behind an earlier overlapping request of this instance, or behind another scope's lock. */
  Queued,
  /** Asking the kernel, or waiting in it through `ticket`. */
  Running,
  /** Abandoned while waiting in the kernel: the wait is being stopped and undone. */
  Cancelling,
  /** Answered; gone from the queue. */
  Settled,
}

/** How a request ended: held, busy (non-blocking), timed out, or an error for the caller. */
export type Outcome = 'granted' | 'busy' | 'timeout' | Error;

/** One async lock request that has to wait (it is blocking, with no `timeout: 0`). */
export class Request {
  /** Changed only by {@link RequestQueue}. */
  state = RequestState.Queued;
  /** Why it was abandoned, once it was. */
  reason: Outcome | undefined;
  /** The kernel wait in progress, while one is. */
  ticket: WaitTicket | undefined;
  /** `start + count`. */
  readonly end: number;
  /** The timeout's timer, while armed. */
  timer: NodeJS.Timeout | undefined;
  /** The listener on `signal`, while registered. */
  onAbort: (() => void) | undefined;

  constructor(
    readonly scope: Scope,
    readonly start: number,
    readonly count: number,
    readonly write: boolean,
    readonly timeout: number | undefined,
    readonly signal: AbortSignal | undefined,
    readonly finish: (outcome: Outcome) => void,
  ) {
    this.end = start + count;
  }

  /** Whether this request's range meets `[start, end)`. */
  overlaps(start: number, end: number): boolean {
    return this.start < end && start < this.end;
  }
}

/** What the queue asks of its owner. */
export interface Runner {
  /** Whether no other scope holds a lock conflicting with `request` now. */
  ready(request: Request): boolean;
  /** Drives a request that just became `Running` to its end; calls `settle` exactly once. */
  run(request: Request): void;
}

/** The unanswered async requests of one instance, in call order. */
export class RequestQueue {
  readonly #requests = new Set<Request>();
  #running = 0;
  #pumping = false;
  #again = false;
  #stopped = false;
  #idle: Array<() => void> = [];

  constructor(private readonly runner: Runner) {}

  /** Requests waiting for their turn. */
  get size(): number {
    return this.#requests.size - this.#running;
  }

  /** Requests asking or waiting in the kernel. */
  get pending(): number {
    return this.#running;
  }

  /** Resolves once no request is left (at once when none is). */
  onIdle(): Promise<void> {
    if (this.#requests.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Whether an unsettled request overlaps `[start, end)`. */
  overlaps(start: number, end: number): boolean {
    if (this.#requests.size === 0) return false;
    for (const r of this.#requests) if (r.overlaps(start, end)) return true;
    return false;
  }

  /** Queues `request` (state `Queued`), arms its timeout and abort signal, and lets it run when it may. */
  add(request: Request): void {
    this.#requests.add(request);
    if (request.timeout !== undefined) {
      request.timer = setTimeout(() => this.abandon(request, 'timeout'), request.timeout);
    }
    if (request.signal !== undefined) {
      const signal = request.signal;
      request.onAbort = () => this.abandon(request, abortError(signal));
      signal.addEventListener('abort', request.onAbort, { once: true });
    }
    this.pump();
  }

  /** Starts, in call order, every queued request nothing of this instance stands in front of. */
  pump(): void {
    if (this.#stopped || this.#requests.size === 0) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        const earlier: Request[] = [];
        for (const r of this.#requests) {
          if (r.state === RequestState.Queued && !earlier.some((e) => e.overlaps(r.start, r.end))) this.#start(r);
          earlier.push(r);
        }
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /** `Queued -> Running`, unless another scope of the instance still holds a conflicting lock. */
  #start(r: Request): void {
    if (!this.runner.ready(r)) return;
    r.state = RequestState.Running;
    this.#running++;
    this.runner.run(r);
  }

  /** Ends `request` early with `reason` (no-op once it is settled or already cancelling). */
  abandon(request: Request, reason: Outcome): void {
    if (request.state === RequestState.Queued) {
      this.settle(request, reason);
    } else if (request.state === RequestState.Running) {
      request.state = RequestState.Cancelling;
      request.reason = reason;
      request.ticket?.cancel();
    }
  }

  /**
   * Abandons every unsettled request `which` selects, each with its own `reason`. Nothing
   * starts meanwhile (a request freed by the first abandon must not run before the rest are
   * abandoned); the caller pumps afterwards.
   */
  abandonWhere(which: (r: Request) => boolean, reason: (r: Request) => Outcome): void {
    if (this.#requests.size === 0) return;
    const chosen = [...this.#requests].filter(which);
    const wasPumping = this.#pumping;
    this.#pumping = true;
    try {
      for (const r of chosen) this.abandon(r, reason(r));
    } finally {
      this.#pumping = wasPumping;
    }
  }

  /** Abandons every request with `reason` and starts nothing any more (the instance closes). */
  stop(reason: Outcome): void {
    this.#stopped = true;
    this.abandonWhere(
      () => true,
      () => reason,
    );
  }

  /** The one place a request ends: answers the caller, frees its timer and listener, moves the queue. */
  settle(request: Request, outcome: Outcome): void {
    if (request.state === RequestState.Settled) return;
    if (request.state !== RequestState.Queued) this.#running--;
    request.state = RequestState.Settled;
    request.ticket = undefined;
    if (request.timer !== undefined) clearTimeout(request.timer);
    if (request.onAbort !== undefined) request.signal?.removeEventListener('abort', request.onAbort);
    this.#requests.delete(request);
    request.finish(outcome);
    if (this.#requests.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
    else this.pump();
  }
}
