/**
 * libc bindings through koffi. This folder (`lib/sys/`) is the only place that imports
 * koffi; every struct layout and errno value lives here.
 *
 * Linux only: the struct layouts below are those of glibc on 64-bit Linux (x86_64, arm64).
 * Each JS thread (main thread, every worker) loads its own copy of this module; the bindings
 * themselves are process-wide C functions.
 *
 * @packageDocumentation
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { UnsupportedPlatformError } from '../errors/errors';

// koffi ships one declaration file typed as ESM; its CommonJS entry is what `require` loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const koffi = require('koffi') as typeof Koffi;
/** A koffi-bound C function taking and returning numbers, BigInts and buffers. */
type CFunction = (...args: unknown[]) => number;

/** The libc functions the library calls. */
export interface Libc {
  /** `int fcntl(int fd, int cmd, struct flock *lk)`: fixed three-argument form; `lk` from {@link addressOf}. */
  readonly fcntl: (fd: number, cmd: number, lk: number) => number;
  /** `int sigaction(int sig, const struct sigaction *act, struct sigaction *old)`. */
  readonly sigaction: (sig: number, act: Uint8Array | null, old: Uint8Array | null) => number;
  /** `int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)`. */
  readonly pthreadSigmask: (how: number, set: Uint8Array, old: Uint8Array | null) => number;
  /** `int timer_create(clockid_t clock, struct sigevent *sev, timer_t *id)`. */
  readonly timerCreate: (clock: number, sev: Uint8Array, id: Uint8Array) => number;
  /** `int timer_settime(timer_t id, int flags, const struct itimerspec *value, struct itimerspec *old)`. */
  readonly timerSettime: (id: bigint, flags: number, value: Uint8Array, old: null) => number;
  /** `int timer_delete(timer_t id)`. */
  readonly timerDelete: (id: bigint) => number;
  /** `pid_t gettid(void)`: the kernel id of the calling thread. */
  readonly gettid: () => number;
  /** `int tgkill(pid_t tgid, pid_t tid, int sig)`: signal one thread of a process. */
  readonly tgkill: (tgid: number, tid: number, sig: number) => number;
  /** First and last real-time signal numbers usable by applications (glibc reserves the ones below). */
  readonly sigrtmin: number;
  readonly sigrtmax: number;
  /**
   * Address of an async-signal-safe libc function that ignores its argument and has no side
   * effects (`getpid`), installed as the interrupt signal's handler: its only purpose is to
   * make a blocked `fcntl(F_OFD_SETLKW)` return `EINTR`.
   */
  readonly noopHandler: bigint;
  /** `int stat(const char *path, struct stat *st)`; st_dev @0 and st_ino @8 on 64-bit Linux. */
  readonly stat: (path: Uint8Array, st: Uint8Array) => number;
  /** `int fstat(int fd, struct stat *st)`; `st` from {@link addressOf}. */
  readonly fstat: (fd: number, st: number) => number;
  /** errno of the last call made by this thread. */
  readonly errno: () => number;
  /** `int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)`; paths NUL-terminated. */
  readonly linkat: (oldDir: number, oldPath: Uint8Array, newDir: number, newPath: Uint8Array, flags: number) => number;
}

// A constant computed on first use, not state: once loaded, the bindings never change.
let libc: Libc | undefined;

/** The bindings, loaded on first use. Throws {@link UnsupportedPlatformError} off Linux. */
export function getLibc(): Libc {
  if (libc !== undefined) return libc;
  if (process.platform !== 'linux') {
    throw new UnsupportedPlatformError(`locksfile needs Linux byte-range locks; this is ${process.platform}`);
  }
  if (process.arch !== 'x64' && process.arch !== 'arm64') {
    throw new UnsupportedPlatformError(`locksfile supports 64-bit Linux (x64, arm64); this is ${process.arch}`);
  }
  let lib: Koffi.LibraryHandle;
  try {
    lib = koffi.load('libc.so.6');
  } catch (err) {
    throw new UnsupportedPlatformError(`cannot load glibc (libc.so.6): ${(err as Error).message}`);
  }
  const fn = (decl: string): CFunction => lib.func(decl) as CFunction;
  const noop = lib.symbol('getpid') as unknown;
  if (typeof noop !== 'bigint') throw new UnsupportedPlatformError('cannot resolve getpid in libc');
  libc = {
    fcntl: fn('int fcntl(int fd, int cmd, intptr_t lk)'),
    sigaction: fn('int sigaction(int sig, const void *act, void *old)'),
    pthreadSigmask: fn('int pthread_sigmask(int how, const void *set, void *old)'),
    timerCreate: fn('int timer_create(int clock, void *sev, void *id)'),
    timerSettime: fn('int timer_settime(uint64_t id, int flags, const void *value, void *old)'),
    timerDelete: fn('int timer_delete(uint64_t id)'),
    gettid: fn('int gettid()'),
    tgkill: fn('int tgkill(int tgid, int tid, int sig)'),
    sigrtmin: fn('int __libc_current_sigrtmin()')(),
    sigrtmax: fn('int __libc_current_sigrtmax()')(),
    noopHandler: noop,
    stat: fn('int stat(const void *path, void *st)'),
    fstat: fn('int fstat(int fd, intptr_t st)'),
    errno: () => koffi.errno(),
    linkat: fn('int linkat(int olddirfd, const void *oldpath, int newdirfd, const void *newpath, int flags)'),
  };
  return libc;
}

/**
 * Address of `bytes` as a number, for the calls that take one (`fcntl`, `fstat`, once per
 * grant): koffi then converts a plain integer instead of inspecting a typed array on every
 * call. Only for buffers over their own `ArrayBuffer` (`new Uint8Array(new ArrayBuffer(n))`),
 * kept by a module for its lifetime: their memory never moves. (A small `new Uint8Array(n)`
 * may start on the garbage-collected heap, where it can move.)
 */
export function addressOf(bytes: Uint8Array): number {
  const address = Number(koffi.address(bytes));
  if (!Number.isSafeInteger(address)) throw new UnsupportedPlatformError(`buffer address ${address} is not an exact number`);
  return address;
}

/**
 * Absolute path of the koffi module this thread loaded, for threads started from source
 * text (`eval`), which must load the same copy.
 */
export function koffiPath(): string {
  return require.resolve('koffi');
}

/** Symbolic name of an errno value (`'EAGAIN'`), or `'E<number>'` when unknown. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(koffi.os.errno)) if (value === errno) return name;
  return `E${errno}`;
}

/** errno values the lock engine branches on (Linux numbering). */
export const ERRNO = {
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EINVAL: 22,
  EDEADLK: 35,
  ENOLCK: 37,
} as const;
