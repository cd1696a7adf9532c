/**
 * Fair hand-over for `LocksFile` (OFD backend): a waiting room in the lock file itself, made
 * of kernel locks only (no file data is written), so that a released range goes to the owners
 * that were already waiting for it, not to the releaser coming straight back or to a newcomer.
 *
 * Three mirror planes of the index space, far above any index (indices are below 2^53):
 * - MARK, index `i` = bytes `[2^62 + 1024 i, 2^62 + 1024 (i + 1))`: every queued owner holds
 *   a read lock on the marks of its range from the moment it queues until it is granted (or
 *   gives up). Nobody ever write-locks a mark, so marking never waits.
 * - DOOR, index `i` = bytes `[2^61 + 512 i, +512)`: held in write mode by a late comer while
 *   it waits for the current batch to drain; joiners pass it in read mode.
 * - BATCH, index `i` = bytes `[2^60 + 256 i, +256)`: read-locked by the owners of the current
 *   batch; a late comer drains the batch by turning its own batch lock into a write lock.
 * (The spacing keeps every offset an exact double; ranges ending above {@link FAIR_END} are
 * not queued.)
 *
 * Protocol for a request on range `r`:
 * 1. Fast path: one non-blocking set of `r`; when granted, one `F_OFD_GETLK` on the marks of
 *    `r`: nobody queued, the grant stands. Someone queued: the grant is given back and the
 *    request is a *late comer* (it would have jumped the queue).
 * 2. Every request that queues first sets its mark: from then on later comers see it.
 * 3. A request that found `r` busy *joins* the current batch: door open (one
 *    `F_OFD_GETLK`), it takes its batch read lock and is queued; door closed, it waits for a
 *    read lock on the door, takes its batch lock and leaves the door.
 * 4. A late comer *closes the door*: it waits for a write lock on the door (joiners now wait
 *    there), takes its batch read lock and waits to turn it into a write lock, which the
 *    kernel grants once every other owner of the current batch has been granted and left; it
 *    turns it back into a read lock (it heads the next batch) and opens the door.
 * 5. A queued request waits for `r` in the kernel as before and drops its mark and batch
 *    lock once granted.
 * So a releaser that re-acquires at once goes behind everybody who was queued, and a wide
 * writer that waits for readers to leave marks its whole range: a reader asking later for a
 * part of it finds the mark, is a late comer and waits until the writer was granted.
 * Within one batch the kernel decides the order. Not strict FIFO: owners waiting at a
 * closed door are woken when it opens, and a later late comer that takes the door before
 * they have run drains a batch they are not in yet and goes first; they stay marked, so
 * only queued requests can pass them this way, never the fast path.
 *
 * Crash safety: every byte of the protocol is a kernel lock of the owner's open file
 * description, freed when its process dies; a dead waiter, closer or holder leaves nothing
 * behind. A request that times out or aborts drops its batch lock, then its door, then its
 * mark (a batch write lock is never seen without its door). A request whose mark or batch
 * lock is refused (an owner outside the protocol locked the queue planes, e.g. a POSIX lock
 * to the end of the file) is not queued and waits like a `fair: false` request.
 *
 * Limits (see the README): owners that do not use this protocol (POSIX lock users such as
 * pylocksfile, instances with `fair: false`, read-only instances) still exclude correctly
 * on the index bytes but are not queued; a queued request waits behind every earlier queued
 * request on an overlapping range, even a compatible one.
 *
 * @packageDocumentation
 */
import type { Range } from '../args/spec';
import { LockSystemError } from '../errors/errors';
import type { WaitEnd, WaitTicket } from '../wait/pool';
import type { OwnerFile } from './owner-file';

/** Ranges must end at or below this index to be queued (the planes' exact-offset limit). */
export const FAIR_END = 2 ** 52;

const MARK_BASE = 2 ** 62;
const MARK_SCALE = 2 ** 10;
const DOOR_BASE = 2 ** 61;
const DOOR_SCALE = 2 ** 9;
const BATCH_BASE = 2 ** 60;
const BATCH_SCALE = 2 ** 8;

/** Byte range of the queue marks of `range`. */
function marks(range: Range): Range {
  return { start: MARK_BASE + range.start * MARK_SCALE, count: range.count * MARK_SCALE };
}

/** Byte range of the door of `range`. */
function door(range: Range): Range {
  return { start: DOOR_BASE + range.start * DOOR_SCALE, count: range.count * DOOR_SCALE };
}

/** Byte range of the batch locks of `range`. */
function batch(range: Range): Range {
  return { start: BATCH_BASE + range.start * BATCH_SCALE, count: range.count * BATCH_SCALE };
}

/** How a request joins the queue: `'join'` (its range was busy) or `'close'` (it would have jumped the queue). */
export type Entry = 'join' | 'close';

/** How an entry into the queue ended: marked and queued, or refused by an owner outside the protocol holding queue bytes. */
export type Entered = 'queued' | 'refused';

/** The entry protocol as a sequence of kernel waits (see {@link FairQueue.enter}). */
type Steps = Generator<Range & { readonly write: boolean }, Entered, undefined>;

/** The waiting room of one instance's lock file. */
export class FairQueue {
  constructor(private readonly file: OwnerFile) {}

  /** Whether requests for `range` go through the queue (OFD backend, writable file, low enough range). */
  covers(range: Range): boolean {
    return this.file.backend === 'ofd' && this.file.writable && range.start + range.count <= FAIR_END;
  }

  /** Whether another owner is queued for a range overlapping `range`. */
  queued(range: Range): boolean {
    // On every uncontended acquire: no allocation.
    return this.file.conflict(true, MARK_BASE + range.start * MARK_SCALE, range.count * MARK_SCALE) !== null;
  }

  /**
   * Blocking entry for this thread (sync requests): `'queued'` once `range` is marked as
   * queued, `'timeout'` when `deadline` (`performance.now()`) passed first, `'refused'` when a
   * foreign owner holds queue bytes (nothing of the queue held in either case).
   */
  enterSync(range: Range, entry: Entry, deadline: number | undefined): Entered | 'timeout' {
    const steps = this.#steps(range, entry);
    try {
      for (let next = steps.next(); ; next = steps.next()) {
        if (next.done === true) return next.value;
        if (!this.#try(next.value) && !this.file.waitSync(next.value.write, next.value.start, next.value.count, deadline)) return 'timeout';
      }
    } finally {
      steps.return('refused');
    }
  }

  /**
   * Async entry: each wait is a kernel wait on a waiter thread, started through `start`
   * (which keeps the ticket so the request can cancel it) and checked through `abandoned`
   * once it ended. Answers at once (no promise, so the caller's next kernel wait starts in
   * the same turn) when no step had to wait; otherwise a promise of the answer, which is
   * `'abandoned'` when the request was abandoned meanwhile (nothing of the queue held then).
   */
  enter(range: Range, entry: Entry, start: (write: boolean, bytes: Range) => WaitTicket, abandoned: () => boolean): Entered | Promise<Entered | 'abandoned'> {
    const steps = this.#steps(range, entry);
    let waiting = false;
    try {
      for (let next = steps.next(); ; next = steps.next()) {
        if (next.done === true) return next.value;
        if (this.#try(next.value)) continue;
        waiting = true;
        return this.#enterAsync(steps, start(next.value.write, next.value), start, abandoned);
      }
    } finally {
      if (!waiting) steps.return('refused');
    }
  }

  /** The rest of {@link enter} once a step waits in the kernel (`first`); owns `steps` from then on. */
  async #enterAsync(
    steps: Steps,
    first: WaitTicket,
    start: (write: boolean, bytes: Range) => WaitTicket,
    abandoned: () => boolean,
  ): Promise<Entered | 'abandoned'> {
    try {
      let ticket: WaitTicket | undefined = first;
      for (;;) {
        if (ticket !== undefined) {
          const end: WaitEnd = await ticket.done;
          if (abandoned()) return 'abandoned';
          if (end === 'stopped') throw new LockSystemError('fcntl(F_SETLKW)', 'EINTR', 'a queue wait stopped without being cancelled');
        }
        const next = steps.next();
        if (next.done === true) return next.value;
        ticket = this.#try(next.value) ? undefined : start(next.value.write, next.value);
      }
    } finally {
      steps.return('refused');
    }
  }

  /**
   * The entry protocol (see the module documentation) as the kernel waits it needs, in
   * order: the driver resumes it once a wait is granted, or ends it early (`return()`), which
   * gives back everything of the queue it holds, including a grant that came with an
   * abandonment (the batch lock before the door: a batch write lock is never left without
   * its door). Completing it with `'queued'` leaves the read mark and the read batch lock of
   * `range` held; with `'refused'` (an owner outside the protocol holds queue bytes, e.g. a
   * POSIX lock to the end of the file) nothing.
   */
  *#steps(range: Range, entry: Entry): Steps {
    const m = marks(range);
    const d = door(range);
    const b = batch(range);
    if (!this.#read(m)) return 'refused';
    let inDoor = false;
    let queued = false;
    try {
      if (entry === 'join' && this.file.conflict(false, d.start, d.count) === null && this.#read(b)) {
        queued = true;
        return 'queued';
      }
      // Set before the wait: a driver that ends the protocol right after this grant gives the door back.
      inDoor = true;
      yield { ...d, write: entry === 'close' };
      // Under the door no owner of the protocol write-locks an overlapping batch range.
      if (!this.#read(b)) return 'refused';
      if (entry === 'close') {
        yield { ...b, write: true };
        this.#read(b);
      }
      queued = true;
      return 'queued';
    } finally {
      if (!queued) this.leave(range);
      if (inDoor) this.#unlock(d);
    }
  }

  /** Drops the mark and batch lock of `range` (the request was granted or abandoned). */
  leave(range: Range): void {
    this.#unlock(batch(range));
    this.#unlock(marks(range));
  }

  /** A wait of the protocol that may be granted at once: one non-blocking set first (no timer, no thread hop). */
  #try(wait: Range & { readonly write: boolean }): boolean {
    return this.file.set(wait.write ? 'write' : 'read', wait.start, wait.count);
  }

  #read(bytes: Range): boolean {
    return this.file.set('read', bytes.start, bytes.count);
  }

  #unlock(bytes: Range): void {
    if (!this.file.closed) this.file.set('unlock', bytes.start, bytes.count);
  }
}
