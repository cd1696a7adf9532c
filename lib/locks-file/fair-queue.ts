/**
 * Fair hand-over for `LocksFile` (OFD backend): a waiting room in the lock file itself, made
 * of kernel locks only (no file data is written), so that a released range goes to the owners
 * that were already waiting for it, not to the releaser coming straight back or to a newcomer.
 *
 * Two mirror planes of the index space, far above any index (indices are below 2^53):
 * - the MARK plane: index `i` is bytes `[2^62 + 1024 i, 2^62 + 1024 (i + 1))`; every owner
 *   queued for a range holds a read lock on the range's mark bytes until it is granted;
 * - the DOOR plane: index `i` is bytes `[2^61 + 512 i, 2^61 + 512 (i + 1))`.
 * (The spacing keeps every offset an exact double; ranges ending above {@link FAIR_END} are
 * not queued.)
 *
 * Protocol for a request on range `r`:
 * 1. Fast path: one non-blocking set of `r`; when granted, one `F_OFD_GETLK` on the marks of
 *    `r`: nobody queued, the grant stands. Someone queued: the grant is given back and the
 *    request is a *late comer* (it would have jumped the queue).
 * 2. A request that found `r` busy *joins* the current batch: it waits for a read lock on the
 *    door of `r`, takes a read lock on the marks of `r` and leaves the door.
 * 3. A late comer *closes the door*: it waits for a write lock on the door of `r` (newcomers
 *    now wait at the door), then for a write lock on the marks of `r`, which it gets once
 *    every queued owner of the current batch has been granted; it turns that into a read
 *    mark (it is the next batch) and opens the door.
 * 4. A queued request waits for `r` in the kernel as before and drops its mark once granted.
 * So a releaser that re-acquires at once goes behind everybody who was queued, and a wide
 * writer that waits for readers to leave marks its whole range: a reader asking later for a
 * part of it finds the mark, is a late comer and waits until the writer was granted.
 * Within one batch the kernel decides the order.
 *
 * Crash safety: every byte of the protocol is a kernel lock of the owner's open file
 * description, freed when its process dies; a dead waiter, closer or holder leaves nothing
 * behind. A request that times out or aborts drops its door and mark locks.
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

/** Byte range of the queue marks of `range`. */
function marks(range: Range): Range {
  return { start: MARK_BASE + range.start * MARK_SCALE, count: range.count * MARK_SCALE };
}

/** Byte range of the door of `range`. */
function door(range: Range): Range {
  return { start: DOOR_BASE + range.start * DOOR_SCALE, count: range.count * DOOR_SCALE };
}

/** How a request joins the queue: `'join'` (its range was busy) or `'close'` (it would have jumped the queue). */
export type Entry = 'join' | 'close';

/** The waiting room of one instance's lock file. */
export class FairQueue {
  constructor(private readonly file: OwnerFile) {}

  /** Whether requests for `range` go through the queue (OFD backend, writable file, low enough range). */
  covers(range: Range): boolean {
    return this.file.backend === 'ofd' && this.file.writable && range.start + range.count <= FAIR_END;
  }

  /** Whether another owner is queued for a range overlapping `range`. */
  queued(range: Range): boolean {
    const m = marks(range);
    return this.file.conflict(true, m.start, m.count) !== null;
  }

  /**
   * Blocking entry for this thread (sync requests): true once `range` is marked as queued,
   * false when `deadline` (`performance.now()`) passed first (nothing of the queue held).
   */
  enterSync(range: Range, entry: Entry, deadline: number | undefined): boolean {
    const wait = (write: boolean, bytes: Range): boolean => this.file.waitSync(write, bytes.start, bytes.count, deadline);
    const d = door(range);
    if (!wait(entry === 'close', d)) return false;
    if (entry === 'close' && !wait(true, marks(range))) {
      this.#unlock(d);
      return false;
    }
    return this.#marked(range, entry);
  }

  /**
   * Async entry: each wait is a kernel wait on a waiter thread, started through `start`
   * (which keeps the ticket so the request can cancel it) and checked through `abandoned`
   * once it ended. Resolves true once marked, false when abandoned (nothing held then).
   */
  async enter(range: Range, entry: Entry, start: (write: boolean, bytes: Range) => WaitTicket, abandoned: () => boolean): Promise<boolean> {
    const wait = async (write: boolean, bytes: Range): Promise<boolean> => {
      const end: WaitEnd = await start(write, bytes).done;
      if (end === 'granted' && !abandoned()) return true;
      if (end === 'granted') this.#unlock(bytes);
      return false;
    };
    const d = door(range);
    if (!(await wait(entry === 'close', d))) return false;
    if (entry === 'close' && !(await wait(true, marks(range)))) {
      this.#unlock(d);
      return false;
    }
    return this.#marked(range, entry);
  }

  /**
   * Holding the door (read for a joiner, write for a closer that also holds the marks in
   * write mode): sets the read mark, opens the door. A joiner's mark cannot be refused: a
   * mark is only ever write-locked by an owner that holds the overlapping door in write mode.
   */
  #marked(range: Range, entry: Entry): boolean {
    const m = marks(range);
    const ok = this.file.set('read', m.start, m.count);
    this.#unlock(door(range));
    if (!ok) throw new LockSystemError('fcntl(F_SETLK)', 'EAGAIN', `queue mark of [${range.start}, ${range.start + range.count}) refused while holding its door (${entry})`);
    return true;
  }

  /** Drops the queue mark of `range` (the request was granted or abandoned). */
  leave(range: Range): void {
    if (this.file.closed) return;
    this.#unlock(marks(range));
  }

  #unlock(bytes: Range): void {
    if (!this.file.closed) this.file.set('unlock', bytes.start, bytes.count);
  }
}
