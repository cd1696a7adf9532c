/**
 * The file protocol of `ShmLock`: one named lock is one file, `<dir>/<name>`, that exists
 * exactly while someone holds the lock. It is Python shmlock's protocol (exclusive create,
 * mode 0600, 16 bytes holding the holder's uuid, unlink on release) plus a kernel lock that
 * makes crashed holders recoverable and lets waiters sleep in the kernel instead of polling.
 *
 * Holder (this process), publishing its file complete:
 * 1. `open(<dir>, O_TMPFILE | O_RDWR, 0600)`: a new file without a name, which nobody else
 *    can reach.
 * 2. Take an OFD write lock on the whole file (it cannot be refused: nobody else has it).
 * 3. Write its *marked* uuid: a random uuid with version nibble 8 (RFC 9562 "custom"),
 *    where Python's shmlock writes a version-4 uuid.
 * 4. `linkat("/proc/self/fd/<fd>", <dir>/<name>, AT_SYMLINK_FOLLOW)`: the name is ours or
 *    `EEXIST` (then the unnamed file is closed and the holder waits, below). `linkat` never
 *    replaces an existing name, so this excludes Python's `O_CREAT | O_EXCL` creators and they
 *    exclude us. The name thus only ever appears already locked and already holding a marked
 *    uuid; a holder killed anywhere before the link leaves nothing behind (the unnamed inode
 *    vanishes with its descriptor).
 * 5. Release: while still holding the kernel lock, unlink the name only if it still names the
 *    same inode and the file still holds this holder's uuid; then close, which drops the lock.
 *    The kernel also drops the lock when the holder's process dies, however it dies.
 *
 * Fallback, where the file system refuses `O_TMPFILE` (`EOPNOTSUPP`, `EISDIR`, `EINVAL`) or
 * there is no `/proc` (`linkat` says `ENOENT`): `open(<dir>/<name>, O_CREAT | O_EXCL |
 * O_NOFOLLOW, 0600)` (the name is ours or `EEXIST`), then the same non-blocking whole-file
 * lock, then the uuid. Between the create and the lock the file is empty and unlocked: if a
 * waiter judging the name holds the lock at that instant, the holder unlinks its own empty
 * file again and starts over; once locked, it checks that the name still names its inode (a
 * waiter may have broken it as dead, below, if the holder stalled there) and starts over if
 * not. A marked file therefore always has a holder that took the kernel lock before writing it.
 *
 * Waiter, after `EEXIST`: open the existing file (`O_NOFOLLOW`; anything but a regular file is
 * an error) and try the same write lock, non-blocking.
 * - Refused: a live holder. Wait for that lock in the kernel; its release (or death) wakes the
 *   waiter at once, which then judges the file as below.
 * - Granted (now or after the wait): the waiter itself holds the file's lock, so no holder of
 *   this protocol can be inside steps 2-5 (or the fallback's lock-and-write) on it. Then, in
 *   this order:
 *   - the name no longer names this inode (`lstat` vs `fstat`): the holder released; retry the
 *     exclusive create at once;
 *   - 16 bytes, marked: the holder died holding it. Unlink the name and retry. Safe because
 *     the name was checked to name this very inode while its lock is held: another breaker
 *     needs that lock first and will then see the name gone or replaced, and a new holder's
 *     file is a different inode, so no two waiters both break one file and no waiter deletes a
 *     file created after its check;
 *   - empty or all zero: a creator between its create and its uuid (a fallback ShmLock
 *     holder, or a Python shmlock holder between `shm_open` and writing its uuid), or one that
 *     died there. Retry soon while the file is younger than the grace period (at least 1 s, see
 *     {@link ShmLockFile}; its age is the larger of its `ctime`/`mtime` age and how long this
 *     waiter has seen this very inode unchanged); older, it is a dead creation: unlink it like
 *     a dead holder's file (same checks, same lock held) and retry;
 *   - anything else (a Python shmlock holder's uuid4): never broken; poll every pollInterval.
 *   The judging waiter closes its descriptor, dropping its lock, before it does anything else.
 *
 * Remaining window: a Python shmlock creator stalled (stopped, swapped out) for longer than the
 * grace period between its create and its uuid write, or a wall clock stepped forward by more
 * than the grace period during that instant, could see its file broken under it. Python's
 * creator holds no kernel lock, so nothing better is possible without changing shmlock.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { LockError, LockPathError, ShmLockInconsistentError } from '../errors/errors';
import { errnoCode, notRegularFile, pathError } from '../errors/path-error';
import { getConflict, setLock } from '../sys/fcntl';
import { linkFd, O_TMPFILE } from '../sys/publish';
import type { ShmQueue } from './queue';

/** Size of a lock file: one uuid. */
const UUID_BYTES = 16;

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR } = fs.constants;
/** The exclusive create of the fallback. O_NONBLOCK never matters for a new regular file. */
const CREATE = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK;
/** The unnamed file of step 1. */
const CREATE_UNNAMED = O_TMPFILE | O_RDWR;
/** `open(O_TMPFILE)` errors meaning "not supported here" (old kernel or file system). */
const NO_TMPFILE = new Set(['EOPNOTSUPP', 'ENOTSUP', 'EISDIR', 'EINVAL']);
/** Shortest grace period before an empty, unlocked file is taken for a dead creation. */
export const MIN_FORMING_GRACE_MS = 1000;
/** Opening someone else's lock file: no symlinks, and a FIFO under the name cannot block us. */
const OPEN_RDWR = O_RDWR | O_NOFOLLOW | O_NONBLOCK;
const OPEN_RDONLY = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
/** Times `check()` looks at an empty file before calling it dangling, and the pause between. */
const CHECKS = 3;
const CHECK_INTERVAL_MS = 20;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` milliseconds. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * What one non-blocking step of an acquire found:
 * - `acquired`: the lock is ours now;
 * - `held`: a live holder's kernel lock; `fd` is open on its file (no lock of ours on it) for
 *   the caller to wait on, and the caller closes it;
 * - `changed`: the name vanished or changed meanwhile; retry at once;
 * - `broken`: a dead holder's file was removed; retry at once;
 * - `forming`: a holder is between its create and its uuid; retry soon;
 * - `foreign`: a holder without kernel lock (Python shmlock) or a file we may not open; poll.
 */
export type Step =
  | { readonly kind: 'acquired' }
  | { readonly kind: 'held'; readonly fd: number }
  | { readonly kind: 'changed' }
  | { readonly kind: 'broken' }
  | { readonly kind: 'forming' }
  | { readonly kind: 'foreign' };

const CHANGED: Step = { kind: 'changed' };
const BROKEN: Step = { kind: 'broken' };
const FORMING: Step = { kind: 'forming' };
const FOREIGN: Step = { kind: 'foreign' };

/** A fresh marked uuid: 122 random bits, version 8, RFC variant. */
export function markedUuid(): Buffer {
  const bytes = randomBytes(UUID_BYTES);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes;
}

/** Whether `bytes` is a marked uuid (version 8, RFC variant), i.e. written by a ShmLock. */
function isMarked(bytes: Uint8Array): boolean {
  return bytes.length === UUID_BYTES && (bytes[6] ?? 0) >> 4 === 8 && ((bytes[8] ?? 0) & 0xc0) === 0x80;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/** Canonical text form of 16 uuid bytes: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function formatUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Opens `path` with `flags`, or returns undefined when nothing is there; refuses non-regular files. */
function openExisting(path: string, flags: number): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, flags);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw pathError(path, err);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw notRegularFile(path);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** Reads up to 16 bytes from the start of `fd`. */
function readUuid(fd: number): Buffer {
  const bytes = Buffer.alloc(UUID_BYTES);
  return bytes.subarray(0, fs.readSync(fd, bytes, 0, UUID_BYTES, 0));
}

/**
 * The lock file of one `ShmLock` instance and what the instance holds. It never refers to the
 * instance, so exit and finalization hooks can keep it without keeping the instance alive.
 */
export class ShmLockFile {
  /** Nested acquires of the owning instance; 0 when the lock is not held. */
  count = 0;
  /** Descriptor of the held file, carrying the kernel lock; -1 when not held. */
  #fd = -1;
  /** Whether to publish with `O_TMPFILE` + `linkat`; false once found unsupported. */
  #unnamed = true;
  /** The empty file this waiter is watching: its identity and when it first saw it (monotonic ms). */
  #forming: { readonly dev: bigint; readonly ino: bigint; readonly ctime: bigint; readonly since: number } | undefined;

  /**
   * `path`: `<dir>/<name>`; `uuid`: this holder's marked uuid; `formingGraceMs`: how long an
   * empty (or all-zero) file without a live kernel lock is left to its creator before it is
   * broken as a dead creation (raised to at least {@link MIN_FORMING_GRACE_MS}); `queue`: the
   * fair queue whose ticket a release gives back after the file is gone (none: `fair: false`).
   */
  constructor(
    readonly path: string,
    readonly uuid: Buffer,
    formingGraceMs: number = MIN_FORMING_GRACE_MS,
    readonly queue?: ShmQueue,
  ) {
    this.formingGraceMs = Math.max(MIN_FORMING_GRACE_MS, formingGraceMs);
  }

  /** Grace period of an empty, unlocked file (see the constructor). */
  readonly formingGraceMs: number;

  /** Whether this instance holds the file (and its kernel lock). */
  get held(): boolean {
    return this.#fd >= 0;
  }

  /** One non-blocking try: create the file, or examine the existing one (see the module doc). */
  tryAcquire(): Step {
    const published = this.#unnamed ? this.#publish() : undefined;
    return published ?? this.#create();
  }

  #acquired(fd: number): Step {
    this.#fd = fd;
    this.count = 1;
    this.#forming = undefined;
    return { kind: 'acquired' };
  }

  /**
   * Steps 1-4: publish an unnamed, locked file holding our uuid under the name. Returns
   * undefined when this must fall back to {@link ShmLockFile.#create} (no `O_TMPFILE` here,
   * no `/proc`, or an open error the fallback reports with the lock's own path).
   */
  #publish(): Step | undefined {
    let fd: number;
    try {
      fd = fs.openSync(nodePath.dirname(this.path), CREATE_UNNAMED, 0o600);
    } catch (err) {
      if (NO_TMPFILE.has(errnoCode(err) ?? '')) this.#unnamed = false;
      return undefined;
    }
    let linked: boolean;
    try {
      // Nobody else can reach an unnamed file, so this is never refused in practice.
      if (!setLock(fd, 'ofd', 'write', 0, 0)) {
        fs.closeSync(fd);
        return CHANGED;
      }
      fs.writeSync(fd, this.uuid, 0, UUID_BYTES, 0);
      linked = linkFd(fd, this.path);
    } catch (err) {
      fs.closeSync(fd);
      const code = errnoCode(err);
      if (code === 'ENOENT') {
        // No /proc (or the directory is gone, which the fallback reports properly).
        if (!fs.existsSync('/proc/self/fd')) this.#unnamed = false;
        return undefined;
      }
      throw err instanceof LockError ? err : pathError(this.path, err);
    }
    if (linked) return this.#acquired(fd);
    // The name is taken: judge the file under it.
    fs.closeSync(fd);
    return this.#examine();
  }

  /** The fallback: exclusive create, then lock, then uuid (see the module doc). */
  #create(): Step {
    let fd: number;
    try {
      fd = fs.openSync(this.path, CREATE, 0o600);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw pathError(this.path, err);
      return this.#examine();
    }
    try {
      // Refused: a waiter is judging our empty file. Not named by it any more: a waiter
      // broke it as a dead creation while we stalled before locking. Either way, start over.
      if (!setLock(fd, 'ofd', 'write', 0, 0) || !this.#names(fd)) {
        this.#discard(fd);
        return CHANGED;
      }
      fs.writeSync(fd, this.uuid, 0, UUID_BYTES, 0);
    } catch (err) {
      this.#discard(fd);
      throw err instanceof LockError ? err : pathError(this.path, err);
    }
    return this.#acquired(fd);
  }

  /** Gives up a file we created (the fallback's lock failed): unlink it if the name still is it, close. */
  #discard(fd: number): void {
    try {
      if (this.#names(fd)) fs.unlinkSync(this.path);
    } finally {
      fs.closeSync(fd);
    }
  }

  #examine(): Step {
    let fd: number | undefined;
    try {
      fd = openExisting(this.path, OPEN_RDWR);
    } catch (err) {
      // Someone else's 0600 file: we cannot take its kernel lock, only poll like shmlock.
      if (err instanceof LockPathError && (err.errno === 'EACCES' || err.errno === 'EPERM')) return FOREIGN;
      throw err;
    }
    if (fd === undefined) return CHANGED;
    let locked: boolean;
    try {
      locked = setLock(fd, 'ofd', 'write', 0, 0);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return locked ? this.settle(fd) : { kind: 'held', fd };
  }

  /**
   * Judges the file `fd` is open on while the caller holds its write lock (see the module
   * doc), breaking it if its holder is dead. Always closes `fd`, which drops that lock.
   */
  settle(fd: number): Step {
    try {
      if (!this.#names(fd)) return CHANGED;
      const stat = fs.fstatSync(fd, { bigint: true });
      const size = Number(stat.size);
      const content = readUuid(fd);
      if (size === 0 || (size === UUID_BYTES && isZero(content))) {
        if (this.#formingAge(stat) < this.formingGraceMs) return FORMING;
      } else if (size !== UUID_BYTES || !isMarked(content)) {
        return FOREIGN;
      }
      this.#forming = undefined;
      try {
        fs.unlinkSync(this.path);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return CHANGED;
        throw pathError(this.path, err);
      }
      return BROKEN;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * How long the empty file `stat` describes has been empty, in ms: the larger of its age by
   * its own timestamps (wall clock) and how long this waiter has seen this same inode, not
   * changed since (monotonic clock, which covers a wall clock stepped back).
   */
  #formingAge(stat: fs.BigIntStats): number {
    const now = performance.now();
    const seen = this.#forming;
    const same = seen !== undefined && seen.dev === stat.dev && seen.ino === stat.ino && seen.ctime === stat.ctimeNs;
    if (!same) this.#forming = { dev: stat.dev, ino: stat.ino, ctime: stat.ctimeNs, since: now };
    const watched = same ? now - seen.since : 0;
    const changedMs = Number((stat.ctimeNs > stat.mtimeNs ? stat.ctimeNs : stat.mtimeNs) / 1_000_000n);
    return Math.max(watched, Date.now() - changedMs);
  }

  /** Whether the name currently names the file `fd` is open on (not following a symlink). */
  #names(fd: number): boolean {
    let at: fs.BigIntStats | undefined;
    try {
      at = fs.lstatSync(this.path, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      throw pathError(this.path, err);
    }
    if (at === undefined) return false;
    const own = fs.fstatSync(fd, { bigint: true });
    return at.ino === own.ino && at.dev === own.dev;
  }

  /** Whether the name still names our held file and it still holds our uuid. */
  #stillOurs(fd: number): boolean {
    return this.#names(fd) && readUuid(fd).equals(this.uuid);
  }

  /**
   * Frees the held file whatever `count` says: unlinks the name if it still is our file with
   * our uuid, then closes (dropping the kernel lock), then gives the queue ticket back (waking
   * the next in line only once the name is free). Returns whether the name was ours to unlink;
   * false when nothing was held or the file had been deleted or replaced meanwhile.
   */
  release(): boolean {
    const fd = this.#fd;
    if (fd < 0) return false;
    this.#fd = -1;
    this.count = 0;
    try {
      if (!this.#stillOurs(fd)) return false;
      fs.unlinkSync(this.path);
      return true;
    } finally {
      fs.closeSync(fd);
      this.queue?.leave();
    }
  }

  /** The uuid in the file under the name, whoever wrote it; null when absent or not written yet. */
  holderUuid(): string | null {
    const fd = openExisting(this.path, OPEN_RDONLY);
    if (fd === undefined) return null;
    try {
      const content = readUuid(fd);
      return content.length === UUID_BYTES && !isZero(content) ? formatUuid(content) : null;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Throws {@link ShmLockInconsistentError} when the file under the name breaks the protocol:
   * held by us but no longer our file or without our uuid; not a regular file; unreadable;
   * the wrong size; our uuid while we do not hold it; or empty (or all zero) with no live
   * holder, on each of a few looks {@link CHECK_INTERVAL_MS} apart (a dangling file left by
   * an interrupted create, which the next acquire breaks once it is older than the grace
   * period). A stale file of a dead ShmLock holder is not an error: the next acquire breaks it.
   */
  check(): void {
    if (this.#fd >= 0) {
      if (!this.#stillOurs(this.#fd)) {
        throw new ShmLockInconsistentError(
          `${this.path}: held by this instance, but the file under the name was deleted, replaced or overwritten (it does not hold this instance's uuid)`,
        );
      }
      return;
    }
    for (let look = 1; ; look++) {
      const problem = this.#problem();
      if (problem === undefined) return;
      if (!problem.transient || look >= CHECKS) throw new ShmLockInconsistentError(`${this.path}: ${problem.message}`);
      sleepSync(CHECK_INTERVAL_MS);
    }
  }

  #problem(): { readonly message: string; readonly transient: boolean } | undefined {
    let fd: number | undefined;
    try {
      fd = openExisting(this.path, OPEN_RDONLY);
    } catch (err) {
      const reason = err instanceof LockPathError && err.errno === 'EACCES' ? 'unreadable (permission denied)' : (err as Error).message;
      return { message: `the lock file is unusable: ${reason}`, transient: false };
    }
    if (fd === undefined) return undefined;
    try {
      const size = fs.fstatSync(fd).size;
      const content = readUuid(fd);
      if (size === UUID_BYTES && !isZero(content)) {
        if (content.equals(this.uuid)) return { message: `holds this instance's uuid although this instance does not hold the lock`, transient: false };
        return undefined;
      }
      if (size !== 0 && size !== UUID_BYTES) return { message: `has ${size} bytes, expected ${UUID_BYTES}`, transient: false };
      if (getConflict(fd, 'ofd', true, 0, 0) !== null) return undefined;
      return {
        message: `exists with no uuid in it and no live holder: a create was interrupted before the uuid was written; the next acquire removes it once it is older than ${this.formingGraceMs} ms`,
        transient: true,
      };
    } finally {
      fs.closeSync(fd);
    }
  }
}
