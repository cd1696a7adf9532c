/**
 * The waiting queue of a fair `ShmLock`: who gets a named lock next when several wait.
 *
 * The named file itself cannot carry a queue (it exists only while held), so the queue lives
 * in a side file next to it, `<dir>/.<name>.queue` (see {@link queuePath}), created by the
 * first owner that must wait (a missing file is an empty queue) and never deleted. It holds no data: the queue is made of OFD locks on its bytes only,
 * which the kernel drops when their owner closes the file or dies, however it dies.
 *
 * - **Ticket.** Byte `t` is ticket `t`. An owner that must wait takes a write lock on the
 *   byte after the highest one another owner holds (`F_OFD_GETLK` walks the held bytes; an
 *   empty queue starts again at 0). When two owners pick the same byte, the kernel grants it to
 *   one and the other looks again; an owner arriving during that race may land just below a
 *   concurrent one, which is the order of two simultaneous arrivals and nothing else.
 * - **Turn.** An owner waits, in the kernel, for a read lock on the highest held byte below its
 *   own (its predecessor); when that wait is granted it drops the read lock at once and looks
 *   again. With nothing held below its ticket it is the head: only the head tries the named
 *   lock (waiting in the kernel on its holder like any ShmLock waiter).
 * - **Holding.** The head keeps its ticket while it holds the named lock and drops it right
 *   after its release (the named file is gone by then), which wakes its successor.
 * - **Newcomers** (including a releaser coming straight back) look first: with any byte held
 *   they take a ticket behind the last one instead of trying the named lock, so they do not
 *   overtake owners already waiting. With the queue empty they try the named lock directly.
 *
 * A waiter that leaves (timeout, abort) or dies frees its byte; its successor's wait ends and
 * it looks again, now waiting on the next byte below or being the head. Nothing can stay stuck,
 * and nothing in the file outlives its owners. Safety (one holder) never depends on the queue:
 * it rests on the named file's exclusive create alone.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { errnoCode, notRegularFile, pathError } from '../errors/path-error';
import { getConflict, setLock } from '../sys/fcntl';

const { O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_RDWR } = fs.constants;
/** Opening the queue to look at it: a missing file is an empty queue, and looking creates nothing. */
const OPEN_QUEUE = O_RDWR | O_NOFOLLOW | O_NONBLOCK;
/** Opening it to take a ticket: created on first use. */
const CREATE_QUEUE = OPEN_QUEUE | O_CREAT;
/** Longest file name component (NAME_MAX). */
const MAX_NAME_BYTES = 255;
/** Open errors meaning "this queue cannot be used by us" (another user's file, read-only place): no queue. */
const UNUSABLE = new Set(['EACCES', 'EPERM', 'EROFS']);
/** Open errors meaning "no queue here now": no file yet (an empty queue), or a missing directory (reported with the lock's own path). */
const NOT_YET = new Set(['ENOENT', 'ENOTDIR']);
/** Tickets restart at 0 when the queue empties; one beyond this wraps to 0 (never reached in practice). */
const LAST_TICKET = Number.MAX_SAFE_INTEGER - 1;

/**
 * `<dir>/.<name>.queue`, or `<dir>/.<sha256 of name>.queue` when that would exceed 255 bytes.
 * Reserved: no named lock should use a name of that form.
 */
export function queuePath(path: string): string {
  const name = nodePath.basename(path);
  const plain = `.${name}.queue`;
  const file = Buffer.byteLength(plain, 'utf8') <= MAX_NAME_BYTES ? plain : `.${createHash('sha256').update(name).digest('hex')}.queue`;
  return nodePath.join(nodePath.dirname(path), file);
}

/** The queue side of one `ShmLock` instance: its descriptor on the queue file and its ticket. */
export class ShmQueue {
  /**
   * Descriptor on the queue file (one open file description per instance: its own lock owner);
   * -1 when closed. Kept while this instance uses the queue (a ticket, a wait) and until the
   * event loop turns after that, so that a loop of acquires opens it once while an instance
   * that is not acquiring keeps no descriptor.
   */
  #fd = -1;
  /** False once the queue file turned out unusable for us: this instance then never queues. */
  #usable = true;
  /** Our ticket (the byte we hold), or -1. */
  #ticket = -1;
  /**
   * The highest ticket seen below ours when we took it, which {@link predecessor} answers once
   * without looking again (if its owner has left meanwhile, the wait on it ends at once).
   */
  #seen = -1;
  /** Waits in progress on a predecessor's byte (a waiter thread may be blocked on {@link ShmQueue.#fd}). */
  #watching = 0;
  /** Set by {@link close}: the file is not opened again. */
  #closed = false;
  /** The pending close of an unused descriptor (see {@link idle}). */
  #closing: NodeJS.Immediate | undefined;

  /** `path`: from {@link queuePath}. */
  constructor(readonly path: string) {}

  /** Whether this instance holds a ticket (queued, or holding the named lock through the queue). */
  get queued(): boolean {
    return this.#ticket >= 0;
  }

  /** Our ticket, or -1. */
  get ticket(): number {
    return this.#ticket;
  }

  /**
   * The queue descriptor, opening the file if needed (creating it with `create`); -1 when there
   * is no queue file (without `create`) or it cannot be used (now or ever).
   */
  #open(create: boolean): number {
    if (this.#fd >= 0 || !this.#usable || this.#closed) return this.#fd;
    // No file, no queue: asked without an exception, which costs more than the whole acquire.
    if (!create && !fs.existsSync(this.path)) return -1;
    let fd: number;
    try {
      fd = fs.openSync(this.path, create ? CREATE_QUEUE : OPEN_QUEUE, 0o600);
    } catch (err) {
      const code = errnoCode(err) ?? '';
      if (UNUSABLE.has(code)) this.#usable = false;
      else if (!NOT_YET.has(code)) throw pathError(this.path, err);
      return -1;
    }
    try {
      if (!fs.fstatSync(fd).isFile()) throw notRegularFile(this.path);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.#fd = fd;
    return fd;
  }

  /**
   * Whether another owner holds a ticket now (one `F_OFD_GETLK`). False as well when there is
   * no queue file yet (nobody ever queued) or it cannot be used: then this instance behaves as
   * `fair: false`.
   */
  busy(): boolean {
    const fd = this.#open(false);
    if (fd < 0) return false;
    return getConflict(fd, 'ofd', true, 0, 0) !== null;
  }

  /** The highest byte in `[from, to)` (`to` undefined: no end) held by another owner, or -1. */
  #highest(from: number, to: number | undefined): number {
    let highest = -1;
    for (let start = from; to === undefined || start < to;) {
      const conflict = getConflict(this.#fd, 'ofd', true, start, to === undefined ? 0 : to - start);
      if (conflict === null) break;
      const end = conflict.start + conflict.count;
      highest = Math.max(highest, end - 1);
      start = end;
    }
    return highest;
  }

  /**
   * Takes a ticket behind the last one. Returns false when the queue cannot be used (no file);
   * then the caller goes on unqueued.
   */
  enter(): boolean {
    const fd = this.#open(true);
    if (fd < 0) return false;
    for (;;) {
      const last = this.#highest(0, undefined);
      const ticket = last >= LAST_TICKET ? 0 : last + 1;
      if (setLock(fd, 'ofd', 'write', ticket, 1)) {
        this.#ticket = ticket;
        this.#seen = ticket === 0 ? -1 : last;
        return true;
      }
    }
  }

  /** Whether another ticket was held below ours when we took it (a peek at what {@link predecessor} answers next). */
  get behind(): boolean {
    return this.#seen >= 0;
  }

  /** The ticket this one waits for (the highest held below ours), or -1 when ours is the head. */
  predecessor(): number {
    const seen = this.#seen;
    this.#seen = -1;
    if (seen >= 0) return seen;
    return this.#ticket <= 0 ? -1 : this.#highest(0, this.#ticket);
  }

  /**
   * Starts a wait on our predecessor: returns the descriptor to wait on for a read lock on its
   * byte. Every call is paired with {@link unwatch} once the wait has ended.
   */
  watch(): number {
    this.#watching += 1;
    return this.#fd;
  }

  /** Ends a wait on `ticket`: drops the read lock it may have left (granted, or granted while cancelled). */
  unwatch(ticket: number): void {
    this.#watching -= 1;
    setLock(this.#fd, 'ofd', 'unlock', ticket, 1);
    if (this.#closed) this.#closeIfUnused();
  }

  /** Gives our ticket back (after the release of the named lock, or when a wait ends without it). */
  leave(): void {
    if (this.#ticket < 0) return;
    const ticket = this.#ticket;
    this.#ticket = -1;
    this.#seen = -1;
    setLock(this.#fd, 'ofd', 'unlock', ticket, 1);
    if (this.#closed) this.#closeIfUnused();
    else this.idle();
  }

  /**
   * Stops using the queue file for good: closed at once, or when the last pending wait ends
   * (a waiter thread may still be blocked on the descriptor) and its ticket is given back.
   */
  close(): void {
    this.#closed = true;
    clearImmediate(this.#closing);
    this.#closing = undefined;
    this.#closeIfUnused();
  }

  /**
   * Called when an acquire or a release ends: the descriptor is closed once the event loop
   * turns, unless a ticket or a wait uses it by then.
   */
  idle(): void {
    if (this.#fd < 0 || this.#closing !== undefined) return;
    this.#closing = setImmediate(() => {
      this.#closing = undefined;
      this.#closeIfUnused();
    }).unref();
  }

  #closeIfUnused(): void {
    if (this.#fd < 0 || this.#ticket >= 0 || this.#watching > 0) return;
    fs.closeSync(this.#fd);
    this.#fd = -1;
  }
}
