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
 * - a POSIX timer (`SIGEV_THREAD_ID`) that exists only for the duration of one blocking
 *   wait, firing first at the caller's deadline and then every {@link TICK_MS}: timeouts need
 *   no helper thread, and a thread that must stop (worker termination, `process.exit`) is
 *   never stuck in the kernel longer than one tick, even when a signal landed just before the
 *   call entered the kernel (the classic lost-wakeup race). Deleting it when the wait ends
 *   means no thread, however it ends, leaves a kernel timer behind. The main thread's untimed
 *   waits need neither and have none;
 * - `tgkill` from another thread, for an immediate cancel.
 *
 * The signal is chosen from SIGRTMAX downwards: the first whose handler is already ours
 * (another thread or copy of this library installed it) or still the default. A signal some
 * other code owns is never taken.
 *
 * @packageDocumentation
 */
import { isMainThread } from 'node:worker_threads';
import { UnsupportedPlatformError } from '../errors/errors';
import { errnoError, type Backend, type LockType, waitLock } from './fcntl';
import { ERRNO, getLibc } from './libc';

/** Period of the safety tick while a thread is blocked in the kernel, in ms. */
export const TICK_MS = 50;

const SIGACTION_SIZE = 152; // glibc, 64-bit: handler @0, sa_mask[128] @8, sa_flags @136, restorer @144
const SIGSET_SIZE = 128;
const SIG_UNBLOCK = 1;
const SIGEV_THREAD_ID = 4;
const CLOCK_MONOTONIC = 1;

/** The system calls a wait makes that can fail. */
export type WaitSyscall = 'fcntl(F_SETLKW)' | 'timer_create' | 'timer_settime' | 'sigaction' | 'pthread_sigmask';

/**
 * A failed system call of a wait, as the kernel reported it. Kept as data (not an error
 * object) so that a waiter thread can pass it to the thread that asked; `errnoError` turns
 * it into the public error on that side.
 */
export interface WaitFailure {
  readonly syscall: WaitSyscall;
  readonly errno: number;
}

/** Kernel id of the calling thread, for {@link InterruptSignal.interruptThread}. */
export function currentThreadId(): number {
  return getLibc().gettid();
}

// Syscall scratch, not state: filled right before one timer call and read right after it.
const itimerspec = new BigInt64Array(4); // it_interval {sec, nsec}, it_value {sec, nsec}
const itimerBytes = new Uint8Array(itimerspec.buffer);
const timerIdBytes = new Uint8Array(8);
const sigevent = new Uint8Array(64);

/** A timer that sends the interrupt signal to the calling thread only; not armed yet. */
function createTimer(signal: number): bigint | WaitFailure {
  const libc = getLibc();
  const view = new DataView(sigevent.buffer);
  view.setInt32(8, signal, true); // sigev_signo
  view.setInt32(12, SIGEV_THREAD_ID, true); // sigev_notify
  view.setInt32(16, libc.gettid(), true); // _sigev_un._tid
  if (libc.timerCreate(CLOCK_MONOTONIC, sigevent, timerIdBytes) !== 0) return { syscall: 'timer_create', errno: libc.errno() };
  return new DataView(timerIdBytes.buffer).getBigInt64(0, true);
}

/** Arms `timer` to fire after `firstMs`, then every `periodMs`; returns the failure, if any. */
function armTimer(timer: bigint, firstMs: number, periodMs: number): WaitFailure | undefined {
  const toSpec = (ms: number, at: number): void => {
    const ns = BigInt(Math.max(1, Math.round(ms * 1e6)));
    itimerspec[at] = ns / 1_000_000_000n;
    itimerspec[at + 1] = ns % 1_000_000_000n;
  };
  toSpec(periodMs, 0);
  toSpec(firstMs, 2);
  const libc = getLibc();
  return libc.timerSettime(timer, 0, itimerBytes, null) === 0 ? undefined : { syscall: 'timer_settime', errno: libc.errno() };
}

/** Why a wait returned without failing. */
export type WaitOutcome = 'granted' | 'timeout' | 'stopped';

/**
 * The interrupt signal as one JS thread uses it: claimed on first use (the handler is
 * process-wide, the unblocking is per thread) and remembered. Each thread that waits or sends
 * interrupts has one: the main thread's and each worker's is in its `ThreadState`
 * (`process-hooks/thread-state.ts`); a waiter thread makes its own.
 */
export class InterruptSignal {
  /** The claimed signal, once claimed. */
  #signo: number | undefined;

  /**
   * Claims the interrupt signal (installs its handler) on first use and unblocks it for the
   * calling thread; returns its number, or the failed call. The handler is process-wide.
   */
  claim(): number | WaitFailure {
    const libc = getLibc();
    if (this.#signo === undefined) {
      const old = new Uint8Array(SIGACTION_SIZE);
      let free: number | undefined;
      let ours: number | undefined;
      for (let sig = libc.sigrtmax; sig >= libc.sigrtmin && ours === undefined; sig--) {
        if (libc.sigaction(sig, null, old) !== 0) return { syscall: 'sigaction', errno: libc.errno() };
        const handler = new DataView(old.buffer).getBigUint64(0, true);
        if (handler === libc.noopHandler) ours = sig;
        else if (handler === 0n && free === undefined) free = sig;
      }
      if (ours === undefined) {
        if (free === undefined) throw new UnsupportedPlatformError('no free real-time signal to interrupt lock waits');
        const act = new Uint8Array(SIGACTION_SIZE);
        const view = new DataView(act.buffer);
        view.setBigUint64(0, libc.noopHandler, true);
        view.setInt32(136, 0, true); // sa_flags: no SA_RESTART, so F_SETLKW returns EINTR
        if (libc.sigaction(free, act, null) !== 0) return { syscall: 'sigaction', errno: libc.errno() };
        ours = free;
      }
      const set = new Uint8Array(SIGSET_SIZE);
      set[(ours - 1) >> 3] = 1 << ((ours - 1) & 7);
      if (libc.pthreadSigmask(SIG_UNBLOCK, set, null) !== 0) return { syscall: 'pthread_sigmask', errno: libc.errno() };
      this.#signo = ours;
    }
    return this.#signo;
  }

  /** {@link claim}, throwing the public error when a call fails. */
  #claimed(): number {
    const claimed = this.claim();
    if (typeof claimed === 'number') return claimed;
    throw errnoError(claimed.syscall, claimed.errno);
  }

  /** Sends the interrupt signal to thread `tid` of this process (harmless if it is not waiting). */
  interruptThread(tid: number): void {
    const libc = getLibc();
    libc.tgkill(process.pid, tid, this.#claimed());
  }

  /**
   * Blocks this thread in `F_SETLKW` until the lock is granted, `deadline` (a
   * `performance.now()` value of this thread) passes, or `stopped()` turns true after an
   * interrupt; returns a failed call as data. Nothing is held unless the result is `'granted'`.
   * The thread's interrupt timer lives only during this call. An untimed wait on the main
   * thread has no timer: `stopped` is asked before it and after a signal interrupted it.
   */
  waitFor(
    fd: number,
    backend: Backend,
    type: LockType,
    start: number,
    count: number,
    deadline: number | undefined,
    stopped: () => boolean,
  ): WaitOutcome | WaitFailure {
    if (deadline === undefined && isMainThread) {
      // The tick serves nothing on the main thread's untimed wait: process.exit() and worker
      // termination cannot run while it blocks, and a signal's JS listener runs only after it.
      // Just the kernel wait, then: no timer to create, arm and delete.
      for (;;) {
        if (stopped()) return 'stopped';
        const errno = waitLock(fd, backend, type, start, count);
        if (errno === 0) return 'granted';
        if (errno !== ERRNO.EINTR) return { syscall: 'fcntl(F_SETLKW)', errno };
      }
    }
    const signal = this.claim();
    if (typeof signal !== 'number') return signal;
    const timer = createTimer(signal);
    if (typeof timer !== 'bigint') return timer;
    try {
      for (;;) {
        if (stopped()) return 'stopped';
        let first = TICK_MS;
        if (deadline !== undefined) {
          const left = deadline - performance.now();
          if (left <= 0) return 'timeout';
          first = Math.min(left, TICK_MS);
        }
        const failed = armTimer(timer, first, TICK_MS);
        if (failed !== undefined) return failed;
        const errno = waitLock(fd, backend, type, start, count);
        if (errno === 0) return 'granted';
        if (errno !== ERRNO.EINTR) return { syscall: 'fcntl(F_SETLKW)', errno };
      }
    } finally {
      getLibc().timerDelete(timer); // also disarms it
    }
  }

  /** {@link waitFor}, throwing the public error (e.g. `DeadlockError`) when a call fails. */
  waitUntil(...args: Parameters<InterruptSignal['waitFor']>): WaitOutcome {
    const outcome = this.waitFor(...args);
    if (typeof outcome === 'string') return outcome;
    throw errnoError(outcome.syscall, outcome.errno);
  }
}
