/**
 * A direct koffi binding of libc `fcntl` for the raw baseline and for verification probes.
 * `struct flock` on Linux x86_64/arm64 is 32 bytes: l_type int16 @0, l_whence int16 @2,
 * l_start int64 @8, l_len int64 @16, l_pid int32 @24.
 *
 * @packageDocumentation
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };

// koffi's only declaration file is typed as ESM; its CommonJS entry is what `require` loads.
const koffi = require('koffi') as typeof Koffi;

/** Linux fcntl commands used here. */
export const F_OFD_GETLK = 36;
/** Non-blocking OFD set. */
export const F_OFD_SETLK = 37;
/** Blocking OFD set. */
export const F_OFD_SETLKW = 38;
/** Lock types. */
export const F_RDLCK = 0;
/** Exclusive lock type. */
export const F_WRLCK = 1;
/** Unlock type. */
export const F_UNLCK = 2;
/** errno values. */
export const EINTR = 4;
/** Busy lock on a non-blocking call. */
export const EAGAIN = 11;

type FcntlFn = (fd: number, cmd: number, lk: Buffer) => number;
type FcntlAsyncFn = (fd: number, cmd: number, lk: Buffer, cb: (err: unknown, res: number) => void) => void;

let cached: { sync: FcntlFn; async: FcntlAsyncFn } | undefined;

/** The `fcntl` binding (loaded on first use). */
export function libcFcntl(): { sync: FcntlFn; async: FcntlAsyncFn } {
  if (cached === undefined) {
    const fn = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, void *lk)');
    const sync: FcntlFn = (fd, cmd, lk) => fn(fd, cmd, lk) as number;
    const asyncFn: FcntlAsyncFn = (fd, cmd, lk, cb) => {
      fn.async(fd, cmd, lk, cb);
    };
    cached = { sync, async: asyncFn };
  }
  return cached;
}

/** errno of the last failed call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** A 32-byte `struct flock`, pre-filled. `len` 0 means "to the end of the file". */
export function flockStruct(type: number, start: number, len: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeInt16LE(type, 0);
  b.writeInt16LE(0, 2);
  b.writeBigInt64LE(BigInt(start), 8);
  b.writeBigInt64LE(BigInt(len), 16);
  return b;
}

/** Rewrites type, start and length of a `struct flock` in place (l_pid back to 0). */
export function setFlock(b: Buffer, type: number, start: number, len: number): void {
  b.writeInt16LE(type, 0);
  b.writeBigInt64LE(BigInt(start), 8);
  b.writeBigInt64LE(BigInt(len), 16);
  b.writeInt32LE(0, 24);
}

/**
 * Whether `[start, start+len)` is held in a way that conflicts with a write lock, as seen from
 * the open file description `fd` (F_OFD_GETLK). Used by verification probes.
 */
export function isLockedElsewhere(fd: number, start: number, len: number): boolean {
  const b = flockStruct(F_WRLCK, start, len);
  if (libcFcntl().sync(fd, F_OFD_GETLK, b) !== 0) throw new Error(`F_OFD_GETLK failed, errno ${lastErrno()}`);
  return b.readInt16LE(0) !== F_UNLCK;
}
