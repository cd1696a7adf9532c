/**
 * The open lock file of one `LocksFile`: its descriptor, the kernel lock family in use, the
 * file's identity, and the rule "a lock only counts on the file that is at the path now"
 * (same-file check and reopen). Every `fcntl` of a `LocksFile` goes through here.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { LockFileReplacedError, LockPathError } from '../errors/errors';
import { errnoCode, notRegularFile, pathError } from '../errors/path-error';
import { type Backend, type Conflict, getConflict, type LockType, setLock, supportsOfd } from '../sys/fcntl';
import { PathCheck } from '../sys/identity';
import type { Logger } from '../logger';
import { adoptDescriptor, closeDescriptor, waitInThread, waitUntil } from '../process-hooks/thread-state';
import type { WaitTicket } from '../wait/pool';

const O_NOFOLLOW = fs.constants.O_NOFOLLOW;
const O_NONBLOCK = fs.constants.O_NONBLOCK;

/** What the README says about the POSIX backend, in one line for the fallback warning. */
const POSIX_HAZARDS =
  'locks belong to the whole process (instances and worker threads of this process do not exclude each other), and closing any descriptor of the lock file in this process (another instance in a worker thread, fs.readFileSync of the path...) drops all of its locks';

/** One open lock file. `fd` is -1 once closed. */
export class OwnerFile {
  readonly backend: Backend;
  #fd: number;
  #writable: boolean;
  /** The same-file check after every grant; also keeps the file's identity. */
  readonly #check: PathCheck;
  /** Set when the file was deleted or replaced under held locks; cleared once nothing is held. */
  replaced = false;

  /**
   * Opens `path` (see {@link openLockFile}) and picks the backend: `requested`, or OFD where the
   * kernel has it. A POSIX backend is announced through `logger.warn` with its hazards, since
   * its semantics differ from what the rest of the API promises.
   */
  constructor(
    readonly path: string,
    requested: Backend | undefined,
    logger: Logger | undefined,
  ) {
    const opened = openLockFile(path);
    this.#fd = opened.fd;
    this.#writable = opened.writable;
    try {
      this.#check = new PathCheck(path, this.#fd);
      this.backend = requested ?? (supportsOfd(this.#fd) ? 'ofd' : 'posix');
    } catch (err) {
      fs.closeSync(this.#fd);
      throw err;
    }
    adoptDescriptor(this.backend, this.#check.id);
    if (this.backend === 'posix') {
      const why = requested === undefined ? 'this kernel has no OFD locks, falling back to POSIX record locks' : 'POSIX record locks chosen';
      logger?.warn(`${path}: ${why}: ${POSIX_HAZARDS}`);
    }
  }

  /** False when the file could only be opened read-only (write locks impossible). */
  get writable(): boolean {
    return this.#writable;
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Non-blocking set on `[start, start + count)`; false when another owner is in the way. */
  set(type: LockType, start: number, count: number): boolean {
    return setLock(this.#fd, this.backend, type, start, count);
  }

  /** The first lock of another owner that blocks `write`/read on the range, or null. */
  conflict(write: boolean, start: number, count: number): Conflict | null {
    return getConflict(this.#fd, this.backend, write, start, count);
  }

  /** Blocks this thread until granted (true) or `deadline` (`performance.now()`) passes. */
  waitSync(write: boolean, start: number, count: number, deadline: number | undefined): boolean {
    return waitUntil(this.#fd, this.backend, write ? 'write' : 'read', start, count, deadline, () => false) === 'granted';
  }

  /** Starts a kernel wait on a waiter thread (see `lib/wait`). */
  waitAsync(write: boolean, start: number, count: number): WaitTicket {
    return waitInThread({ fd: this.#fd, backend: this.backend, write, start, count });
  }

  /** True while the path still names the file this descriptor is open on (see {@link PathCheck} for what it cannot see). */
  isCurrent(): boolean {
    return this.#check.current();
  }

  /** Opens the path anew (after {@link isCurrent} said false and nothing is held) and drops the old file. */
  reopen(): void {
    const opened = openLockFile(this.path);
    closeDescriptor(this.#fd, this.backend, this.#check.id);
    this.#fd = opened.fd;
    this.#writable = opened.writable;
    this.#check.reset(this.#fd);
    adoptDescriptor(this.backend, this.#check.id);
  }

  /** Marks the instance as holding locks on a file no longer at the path; returns the error to throw. */
  markReplaced(): LockFileReplacedError {
    this.replaced = true;
    return this.replacedError();
  }

  /** The error every acquire throws while {@link replaced} is set. */
  replacedError(): LockFileReplacedError {
    return new LockFileReplacedError(
      this.path,
      `${this.path} was deleted or replaced while this instance held locks on the old file; they no longer exclude anyone. Release everything (release() and every handle) to continue on the new file.`,
    );
  }

  /** Throws {@link LockPathError} when the file is read-only and `write` is asked for. */
  assertMode(write: boolean): void {
    if (write && !this.#writable) {
      throw new LockPathError(this.path, `${this.path}: opened read-only (no write permission), so write locks are impossible; read locks work`, 'EBADF');
    }
  }

  /** Closes the descriptor (POSIX: parked until the thread's last one of the file closes). Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    closeDescriptor(this.#fd, this.backend, this.#check.id);
    this.#fd = -1;
  }
}

/**
 * Opens the lock file: O_CREAT without O_TRUNC (never truncates or writes), O_NOFOLLOW (a
 * planted symlink is refused, not followed), O_NONBLOCK (a FIFO cannot block the open).
 * Falls back to read-only when write permission is missing. Returns only regular files.
 */
function openLockFile(path: string): { fd: number; writable: boolean } {
  const flags = O_NOFOLLOW | O_NONBLOCK | fs.constants.O_CREAT;
  let fd: number;
  let writable = true;
  try {
    fd = fs.openSync(path, flags | fs.constants.O_RDWR, 0o666);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EACCES' && code !== 'EROFS') throw pathError(path, err);
    try {
      fd = fs.openSync(path, O_NOFOLLOW | O_NONBLOCK | fs.constants.O_RDONLY);
      writable = false;
    } catch (second) {
      // A missing file we may not create: the permission is the problem, not the path.
      throw pathError(path, errnoCode(second) === 'ENOENT' ? err : second);
    }
  }
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw pathError(path, err);
  }
  if (!stat.isFile()) {
    fs.closeSync(fd);
    throw notRegularFile(path);
  }
  return { fd, writable };
}
