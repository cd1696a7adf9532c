/**
 * Byte-range locks through `fcntl`: the `struct flock` layout, the two command families
 * (Linux open-file-description locks and classic POSIX record locks) and errno mapping.
 *
 * Pitfalls handled here, once:
 * - `l_pid` must be 0 on input to the `F_OFD_*` commands or the kernel answers EINVAL.
 * - `l_len = 0` means "to the end of the file, however far it grows"; a lock of `count` bytes
 *   passes `count`, never 0, except where a caller asks for the whole file explicitly.
 * - 64-bit offsets are written as two 32-bit halves: no BigInt on the hot path.
 * - A conflicting request answers EAGAIN (Linux also documents EACCES for POSIX locks on
 *   some systems): both mean "busy".
 *
 * @packageDocumentation
 */
import { DeadlockError, LockSystemError } from '../errors/errors';
import { addressOf, ERRNO, errnoName, getLibc } from './libc';

/**
 * Which kernel lock family a file uses: `'ofd'` (Linux open-file-description locks, owned by
 * the open file, so instances and threads exclude each other) or `'posix'` (classic record
 * locks, owned by the process: instances of one process share them).
 */
export type Backend = 'ofd' | 'posix';

/** `l_type` values (Linux). */
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;

/** What to put on a range: a shared lock, an exclusive lock, or nothing. */
export type LockType = 'read' | 'write' | 'unlock';

const TYPE_CODE: Record<LockType, number> = { read: F_RDLCK, write: F_WRLCK, unlock: F_UNLCK };

/** fcntl command numbers per backend (Linux). */
const COMMANDS: Record<Backend, { get: number; set: number; wait: number }> = {
  ofd: { get: 36, set: 37, wait: 38 },
  posix: { get: 5, set: 6, wait: 7 },
};

/**
 * `struct flock` (Linux, 64-bit): l_type int16 @0, l_whence int16 @2, l_start int64 @8,
 * l_len int64 @16, l_pid int32 @24; 32 bytes. One per thread, reused for every call.
 */
const FLOCK_SIZE = 32;
const flockBytes = new Uint8Array(new ArrayBuffer(FLOCK_SIZE));
const FLOCK_AT = addressOf(flockBytes);
const flock16 = new Int16Array(flockBytes.buffer);
const flock32 = new Int32Array(flockBytes.buffer);
const TWO_32 = 2 ** 32;

function fill(type: number, start: number, count: number): number {
  // An Int32Array store converts with ToInt32 (truncate, then modulo 2^32): the low word of
  // a safe integer is the value itself, the high word the value / 2^32.
  flock32[0] = type; // l_type, and l_whence = SEEK_SET (0), little-endian
  flock32[2] = start;
  flock32[3] = start / TWO_32;
  flock32[4] = count;
  flock32[5] = count / TWO_32;
  flock32[6] = 0; // l_pid: F_GETLK wrote the holder's there; F_OFD_* need 0
  return FLOCK_AT;
}

function read64(index: number): number {
  return (flock32[index + 1] ?? 0) * TWO_32 + ((flock32[index] ?? 0) >>> 0);
}

/** Turns a failed call's errno into the library's typed error. */
export function errnoError(syscall: string, errno: number): Error {
  if (errno === ERRNO.EDEADLK) return new DeadlockError(`${syscall}: the kernel detected a deadlock (EDEADLK)`);
  const messages: Record<number, string> = {
    [ERRNO.ENOLCK]: 'the kernel lock table is full',
    [ERRNO.EBADF]: 'the file descriptor is closed or not open for the requested lock type',
    [ERRNO.EINVAL]: 'the kernel rejected the request',
  };
  return new LockSystemError(syscall, errnoName(errno), messages[errno] ?? 'system call failed');
}

/**
 * Non-blocking set: places `type` on bytes `[start, start + count)` of `fd` for the owner the
 * backend implies (`count = 0`: to the end of the file). Returns false when another owner's
 * lock conflicts; throws a typed error for anything else.
 */
export function setLock(fd: number, backend: Backend, type: LockType, start: number, count: number): boolean {
  const libc = getLibc();
  if (libc.fcntl(fd, COMMANDS[backend].set, fill(TYPE_CODE[type], start, count)) === 0) return true;
  const errno = libc.errno();
  if (errno === ERRNO.EAGAIN || errno === ERRNO.EACCES) return false;
  throw errnoError('fcntl(F_SETLK)', errno);
}

/**
 * Blocking set (`F_OFD_SETLKW` / `F_SETLKW`): returns 0 when granted, otherwise the errno
 * (`EINTR` when a signal without `SA_RESTART` interrupted the wait, see `interrupt.ts`).
 * It returns the errno rather than throwing so that a waiter thread can hand it across the
 * thread boundary; {@link errnoError} builds the public error.
 */
export function waitLock(fd: number, backend: Backend, type: LockType, start: number, count: number): number {
  const libc = getLibc();
  return libc.fcntl(fd, COMMANDS[backend].wait, fill(TYPE_CODE[type], start, count)) === 0 ? 0 : libc.errno();
}

/** A lock of another owner, as `F_GETLK` reports it. `count` is `Infinity` for "to end of file". */
export interface Conflict {
  readonly start: number;
  readonly count: number;
  readonly write: boolean;
  /** The holder's pid for POSIX locks; -1 for OFD locks (the kernel does not track an OFD's process). */
  readonly pid: number;
}

/** The first lock of another owner that would block `type` on the range, or null. */
export function getConflict(fd: number, backend: Backend, write: boolean, start: number, count: number): Conflict | null {
  const libc = getLibc();
  if (libc.fcntl(fd, COMMANDS[backend].get, fill(write ? F_WRLCK : F_RDLCK, start, count)) !== 0) {
    throw errnoError('fcntl(F_GETLK)', libc.errno());
  }
  if (flock16[0] === F_UNLCK) return null;
  const length = read64(4);
  return { start: read64(2), count: length === 0 ? Infinity : length, write: flock16[0] === F_WRLCK, pid: flock32[6] ?? 0 };
}

/**
 * Whether the kernel offers OFD locks on `fd` (Linux >= 3.15). Probes with `F_OFD_GETLK`,
 * which changes nothing.
 */
export function supportsOfd(fd: number): boolean {
  const libc = getLibc();
  if (libc.fcntl(fd, COMMANDS.ofd.get, fill(F_WRLCK, 0, 1)) === 0) return true;
  const errno = libc.errno();
  if (errno === ERRNO.EINVAL) return false;
  throw errnoError('fcntl(F_OFD_GETLK)', errno);
}
