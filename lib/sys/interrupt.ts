/**
 * Making a blocked `fcntl(F_SETLKW)` return on demand.
 *
 * Linux restarts `F_SETLKW`/`F_OFD_SETLKW` after a signal only when the handler was
 * installed with `SA_RESTART` (signal(7)). So the library claims one real-time signal and
 * installs, without `SA_RESTART`, a handler that does nothing (libc's `getpid`, which is
 * async-signal-safe and ignores its argument). Sending that signal to a thread blocked in
 * `F_SETLKW` makes the call return `EINTR`.
 *
 * Two ways deliver it, both to one thread only:
 * - a per-thread POSIX timer (`SIGEV_THREAD_ID`) armed around every blocking call, firing
 *   first at the caller's deadline and then every {@link TICK_MS}: timeouts need no helper
 *   thread, and a thread that must stop (worker termination, `process.exit`) is never stuck
 *   in the kernel longer than one tick, even when a signal landed just before the call
 *   entered the kernel (the classic lost-wakeup race);
 * - `tgkill` from another thread, for an immediate cancel.
 *
 * The signal is chosen from SIGRTMAX downwards: the first whose handler is already ours
 * (another thread or copy of this library installed it) or still the default. A signal some
 * other code owns is never taken.
 *
 * @packageDocumentation
 */
import { UnsupportedPlatformError } from '../errors/errors';
import { errnoError, type Backend, type LockType, waitLock } from './fcntl';
import { getLibc } from './libc';

/** Period of the safety tick while a thread is blocked in the kernel, in ms. */
export const TICK_MS = 50;

const SIGACTION_SIZE = 152; // glibc, 64-bit: handler @0, sa_mask[128] @8, sa_flags @136, restorer @144
const SIGSET_SIZE = 128;
const SIG_UNBLOCK = 1;
const SIGEV_THREAD_ID = 4;
const CLOCK_MONOTONIC = 1;

let signo: number | undefined;

/** The interrupt signal, claimed (handler installed) on first use; process-wide. */
export function interruptSignal(): number {
  if (signo !== undefined) return signo;
  const libc = getLibc();
  const old = new Uint8Array(SIGACTION_SIZE);
  const handlerOf = (sig: number): bigint => {
    if (libc.sigaction(sig, null, old) !== 0) throw errnoError('sigaction', libc.errno());
    return new DataView(old.buffer).getBigUint64(0, true);
  };
  let free: number | undefined;
  for (let sig = libc.sigrtmax; sig >= libc.sigrtmin; sig--) {
    const handler = handlerOf(sig);
    if (handler === libc.noopHandler) {
      signo = sig;
      break;
    }
    if (handler === 0n && free === undefined) free = sig;
  }
  if (signo === undefined) {
    if (free === undefined) throw new UnsupportedPlatformError('no free real-time signal to interrupt lock waits');
    const act = new Uint8Array(SIGACTION_SIZE);
    const view = new DataView(act.buffer);
    view.setBigUint64(0, libc.noopHandler, true);
    view.setInt32(136, 0, true); // sa_flags: no SA_RESTART, so F_SETLKW returns EINTR
    if (libc.sigaction(free, act, null) !== 0) throw errnoError('sigaction', libc.errno());
    signo = free;
  }
  const set = new Uint8Array(SIGSET_SIZE);
  set[(signo - 1) >> 3] = 1 << ((signo - 1) & 7);
  if (libc.pthreadSigmask(SIG_UNBLOCK, set, null) !== 0) throw errnoError('pthread_sigmask', libc.errno());
  return signo;
}

/** Kernel id of the calling thread, for {@link interruptThread}. */
export function currentThreadId(): number {
  return getLibc().gettid();
}

/** Sends the interrupt signal to thread `tid` of this process (harmless if it is not waiting). */
export function interruptThread(tid: number): void {
  const libc = getLibc();
  libc.tgkill(process.pid, tid, interruptSignal());
}

/** This thread's POSIX timer, created on first use; signals only this thread. */
let timerId: bigint | undefined;
const itimerspec = new BigInt64Array(4); // it_interval {sec, nsec}, it_value {sec, nsec}
const itimerBytes = new Uint8Array(itimerspec.buffer);

function threadTimer(): bigint {
  if (timerId !== undefined) return timerId;
  const libc = getLibc();
  const sev = new Uint8Array(64);
  const view = new DataView(sev.buffer);
  view.setInt32(8, interruptSignal(), true); // sigev_signo
  view.setInt32(12, SIGEV_THREAD_ID, true); // sigev_notify
  view.setInt32(16, libc.gettid(), true); // _sigev_un._tid
  const id = new BigInt64Array(1);
  if (libc.timerCreate(CLOCK_MONOTONIC, sev, new Uint8Array(id.buffer)) !== 0) throw errnoError('timer_create', libc.errno());
  timerId = id[0] ?? 0n;
  return timerId;
}

function armTimer(firstMs: number, periodMs: number): void {
  const toSpec = (ms: number, at: number): void => {
    const ns = BigInt(Math.max(1, Math.round(ms * 1e6)));
    itimerspec[at] = ns / 1_000_000_000n;
    itimerspec[at + 1] = ns % 1_000_000_000n;
  };
  toSpec(periodMs, 0);
  toSpec(firstMs, 2);
  const libc = getLibc();
  if (libc.timerSettime(threadTimer(), 0, itimerBytes, null) !== 0) throw errnoError('timer_settime', libc.errno());
}

function disarmTimer(): void {
  if (timerId === undefined) return;
  itimerspec.fill(0n);
  getLibc().timerSettime(timerId, 0, itimerBytes, null);
}

/** Deletes this thread's timer; call before a thread that used {@link waitUntil} ends. */
export function releaseThreadTimer(): void {
  if (timerId === undefined) return;
  getLibc().timerDelete(timerId);
  timerId = undefined;
}

/** Why {@link waitUntil} returned. */
export type WaitOutcome = 'granted' | 'timeout' | 'stopped';

/**
 * Blocks this thread in `F_SETLKW` until the lock is granted, `deadline` (a
 * `performance.now()` value of this thread) passes, or `stopped()` turns true after an
 * interrupt. Nothing is held unless the result is `'granted'`.
 */
export function waitUntil(
  fd: number,
  backend: Backend,
  type: LockType,
  start: number,
  count: number,
  deadline: number | undefined,
  stopped: () => boolean,
): WaitOutcome {
  for (;;) {
    if (stopped()) return 'stopped';
    let first = TICK_MS;
    if (deadline !== undefined) {
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      first = Math.min(left, TICK_MS);
    }
    armTimer(first, TICK_MS);
    let result;
    try {
      result = waitLock(fd, backend, type, start, count);
    } finally {
      disarmTimer();
    }
    if (result === 'granted') return 'granted';
  }
}
