/**
 * How one request of a `LocksFile` gets its range: the internal acquire behind every public
 * call, sync or async.
 *
 * Rules kept here:
 * - Another scope of the same instance in the way: an async request queues behind it (see
 *   `request-queue.ts`); a sync request cannot wait for its own thread and throws
 *   {@link LockBusyError} at once (or answers busy when it was non-blocking).
 * - Atomic grants, no hold-and-wait: the range is taken by one non-blocking set of the whole
 *   range, which the kernel grants entirely or not at all. A blocking request waits in the
 *   kernel without keeping anything it did not hold before: it waits for the whole range, or,
 *   for a read over the owner's own write locks (which a granted wait would convert), for the
 *   one part where another owner is in the way; once that part is granted the whole range is
 *   tried again in one set, and when that fails the part is given back before the next wait.
 * - A grant only counts on the file that is at the path now (see `OwnerFile.isCurrent`).
 * - A sync wait has one deadline, computed once, however often it retries.
 * - Fair mode (`fair-queue.ts`): a request whose first try is busy, or is granted while another
 *   owner is queued for an overlapping range (then the grant is given back), enters the queue
 *   before it waits in the kernel, and leaves it once granted or abandoned. A request over a
 *   range this instance already holds part of is never queued (it would wait for owners that
 *   wait for this instance).
 *
 * @packageDocumentation
 */
import type { Acquire, Range } from '../args/spec';
import { describeRange } from '../errors/acquire-error';
import { LockBusyError, LockSystemError } from '../errors/errors';
import { withoutSignalHooks } from '../process-hooks/exit-hooks';
import { type Entry, type FairQueue } from './fair-queue';
import type { OwnerFile } from './owner-file';
import type { OwnerLocks, Scope } from './owner-locks';
import { type Outcome, Request, RequestQueue, RequestState, type Runner } from './request-queue';
import type { WaitTicket } from '../wait/pool';

/** Drives requests of one instance through its file, its lock table and its queue. */
export class Acquirer implements Runner {
  readonly queue = new RequestQueue(this);

  constructor(
    private readonly file: OwnerFile,
    private readonly locks: OwnerLocks,
    private readonly debug: ((message: string) => void) | undefined,
    private readonly fair: FairQueue | undefined,
  ) {}

  /**
   * The span `[start, end)` of what this instance released (any scope) in the current run of
   * synchronous code, for {@link #entry}; empty (`start >= end`) once a microtask checkpoint
   * passed since.
   */
  #releasedStart = 0;
  #releasedEnd = 0;

  /** Notes a release of `[start, end)` by any scope of this instance. */
  noteRelease(start: number, end: number): void {
    if (this.fair === undefined) return;
    if (this.#releasedStart >= this.#releasedEnd) {
      this.#releasedStart = start;
      this.#releasedEnd = end;
      queueMicrotask(this.#forgetRelease);
    } else {
      this.#releasedStart = Math.min(this.#releasedStart, start);
      this.#releasedEnd = Math.max(this.#releasedEnd, end);
    }
  }

  readonly #forgetRelease = (): void => {
    this.#releasedStart = 0;
    this.#releasedEnd = 0;
  };

  /**
   * How a request that was not granted enters the fair queue: as a late comer behind the
   * current batch when it found the range free while someone was queued, or when it found
   * it busy with someone queued and is this instance coming straight back to a range it
   * released in the same run of synchronous code (`release(); acquire()`, a loop's next
   * turn): the releaser must not join the batch it handed the range to. Else it joins. The
   * test is the turn, not a time, so a releaser preempted between its two calls still counts
   * as coming back, and an owner that released long ago is a newcomer.
   */
  #entry(range: Range, taken: Exclude<Taken, 'granted'>): Entry {
    if (taken === 'late') return 'close';
    const back = this.#releasedStart < range.start + range.count && range.start < this.#releasedEnd;
    return back && this.fair?.queued(range) === true ? 'close' : 'join';
  }

  /** Whether a first try of `range` must respect the queue: fair, covered, and nothing of it held here yet. */
  #queues(range: Range): boolean {
    return this.fair !== undefined && this.fair.covers(range) && !this.locks.holds(range.start, range.start + range.count);
  }

  /** The sync acquire: blocks this thread while another owner is in the way. */
  acquireSync(scope: Scope, range: Range, opts: Omit<Acquire, 'signal'>): Outcome {
    const end = range.start + range.count;
    if (this.queue.overlaps(range.start, end)) {
      throw new LockBusyError(`${describeRange(range)} overlaps an async acquire of this instance that is still in flight`);
    }
    if (this.locks.blocks(scope, range.start, end, opts.write)) {
      const answer = noWait(opts);
      if (answer !== undefined) return answer;
      throw new LockBusyError(
        `${describeRange(range, opts.write)} conflicts with a lock another scope of this instance holds; a sync call cannot wait for its own thread`,
      );
    }
    const deadline = opts.timeout === undefined ? undefined : performance.now() + opts.timeout;
    const fair = this.#queues(range) ? this.fair : undefined;
    /** Until the request queued, or the queue refused it (then it waits like a `fair: false` request). */
    let mayQueue = fair !== undefined;
    let queued = false;
    try {
      for (;;) {
        const taken = this.#take(scope, range, opts.write, 0, mayQueue);
        if (taken === 'granted') return 'granted';
        const answer = noWait(opts);
        if (answer !== undefined) return answer;
        if (fair !== undefined && mayQueue) {
          mayQueue = false;
          const entry = this.#entry(range, taken);
          const entered = withoutSignalHooks(() => fair.enterSync(range, entry, deadline));
          if (entered === 'timeout') return 'timeout';
          queued = entered === 'queued';
          this.debug?.(`${entered} ${describeRange(range, opts.write)} (${entry})`);
          continue;
        }
        // Granted here means held in the kernel; the next #take confirms it on the current file.
        if (!withoutSignalHooks(() => this.file.waitSync(opts.write, range.start, range.count, deadline))) return 'timeout';
      }
    } finally {
      if (queued) fair?.leave(range);
    }
  }

  /**
   * The async acquire: answers through `finish`, at once when nothing is in the way (then
   * without queueing anything). A request that may not wait (`blocking: false`,
   * `timeout: 0`) also answers at once when another request or scope of this instance is in
   * the way: it cannot have the range now.
   */
  acquire(scope: Scope, range: Range, opts: Acquire, finish: (outcome: Outcome) => void): void {
    const end = range.start + range.count;
    const answer = noWait(opts);
    if (!this.queue.overlaps(range.start, end) && !this.locks.blocks(scope, range.start, end, opts.write)) {
      try {
        if (this.#take(scope, range, opts.write, 0, this.#queues(range)) === 'granted') return finish('granted');
        if (answer !== undefined) return finish(answer);
      } catch (err) {
        return finish(err as Error);
      }
    } else if (answer !== undefined) {
      return finish(answer);
    }
    this.queue.add(new Request(scope, range.start, range.count, opts.write, opts.timeout, opts.signal, finish));
  }

  ready(request: Request): boolean {
    return !this.locks.blocks(request.scope, request.start, request.end, request.write);
  }

  run(request: Request): void {
    void this.#run(request);
  }

  async #run(r: Request): Promise<void> {
    /** A part a kernel wait of this request may have taken, until it is recorded or given back. */
    let taken: Range | undefined;
    const fair = this.#queues(r) ? this.fair : undefined;
    let queued = false;
    /** Leaves the fair queue first: settling may start another request of this instance on the same bytes. */
    const settle = (outcome: Outcome): void => {
      if (queued) fair?.leave(r);
      queued = false;
      this.queue.settle(r, outcome);
    };
    try {
      if (fair !== undefined) {
        const first = this.#take(r.scope, r, r.write, 1, true);
        if (first === 'granted') return settle('granted');
        const start = (write: boolean, bytes: Range): WaitTicket => (r.ticket = this.file.waitAsync(write, bytes.start, bytes.count));
        const entry = this.#entry(r, first);
        const entering = fair.enter(r, entry, start, () => r.state === RequestState.Cancelling);
        const entered = typeof entering === 'string' ? entering : await entering;
        r.ticket = undefined;
        queued = entered === 'queued';
        // Also abandoned when entering needed no kernel wait (no ticket to cancel meanwhile).
        if (entered === 'abandoned' || r.state === RequestState.Cancelling) return settle(r.reason ?? 'timeout');
        this.debug?.(`${entered} ${describeRange(r, r.write)} (${entry})`);
      }
      for (;;) {
        if (this.#take(r.scope, r, r.write, 1) === 'granted') return settle('granted');
        const part = this.#waitPart(r);
        taken = part;
        r.ticket = this.file.waitAsync(r.write, part.start, part.count);
        const end = await r.ticket.done;
        r.ticket = undefined;
        if (r.state === RequestState.Cancelling) {
          this.#giveBack(part);
          return settle(r.reason ?? 'timeout');
        }
        if (end === 'stopped') throw new LockSystemError('fcntl(F_SETLKW)', 'EINTR', 'the lock wait stopped without being cancelled');
        // The part is held now. The whole range in one set, or the part goes back before the next wait.
        if (this.#take(r.scope, r, r.write, 1) === 'granted') return settle('granted');
        this.#giveBack(part);
        taken = undefined;
      }
    } catch (err) {
      if (taken !== undefined) this.#giveBack(taken);
      settle(err as Error);
    }
  }

  /** Puts the kernel's locks on `part` back to what the table says (unlock, or the recorded mode). */
  #giveBack(part: Range): void {
    this.locks.restore(part.start, part.start + part.count);
  }

  /**
   * What a blocked request waits for in the kernel: its whole range, or (for a read over own
   * write locks) the part of the plan where another owner's lock is, or the first part when
   * that lock went away meanwhile (the wait is then granted at once and the whole range
   * tried again: no busy loop on the event loop).
   */
  #waitPart(r: Request): Range {
    const parts = this.locks.waitPlan(r, r.write);
    // No part at all would mean a read entirely over own write locks, which the set never refuses.
    const first = parts[0] ?? r;
    if (parts.length <= 1) return first;
    const conflict = this.file.conflict(r.write, r.start, r.count);
    if (conflict === null) return first;
    const to = conflict.start + conflict.count;
    return parts.find((p) => p.start < to && conflict.start < p.start + p.count) ?? first;
  }

  /**
   * One non-blocking set of the whole range; on success, checks the file is still the one at
   * the path and records the grant for `scope`. With `queueCheck`, a grant made while another
   * owner is queued for an overlapping range is given back at once (`'late'`: the request
   * would have jumped the queue). When the file was deleted or replaced, gives the grant back
   * and, if this instance holds nothing and has no other request (`inFlight` is how many
   * requests belong to the caller itself), reopens the path and tries again; otherwise marks
   * the instance replaced and throws.
   */
  #take(scope: Scope, range: Range, write: boolean, inFlight: number, queueCheck = false): Taken {
    const end = range.start + range.count;
    for (;;) {
      if (!this.file.set(write ? 'write' : 'read', range.start, range.count)) return 'busy';
      if (queueCheck && this.fair?.queued(range) === true) {
        this.locks.restore(range.start, end);
        return 'late';
      }
      if (this.file.isCurrent()) {
        this.locks.record(scope, range.start, end, write);
        this.debug?.(`acquired ${describeRange(range, write)}${scope === undefined ? '' : ' (handle)'}`);
        return 'granted';
      }
      this.locks.restore(range.start, end);
      if (!this.locks.empty || this.queue.size + this.queue.pending > inFlight) throw this.file.markReplaced();
      this.debug?.(`${this.file.path} was deleted or replaced; reopening`);
      this.file.reopen();
    }
  }
}

/** What one non-blocking try found: granted, busy, or free but with another owner queued for it. */
type Taken = 'granted' | 'busy' | 'late';

/**
 * What a request that may not wait answers when its range is not free now: busy for
 * `blocking: false`, timed out for `timeout: 0`; undefined when it may wait.
 */
function noWait(opts: { readonly blocking: boolean; readonly timeout: number | undefined }): Outcome | undefined {
  if (!opts.blocking) return 'busy';
  return opts.timeout === 0 ? 'timeout' : undefined;
}
