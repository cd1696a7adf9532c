/**
 * The shared-memory protocol between the thread that asks for a lock and a waiter thread
 * that blocks in the kernel for it. One `Int32Array` over a `SharedArrayBuffer` per waiter.
 * Only the pool moves a waiter out of `Idle` (to `Requested` or `Exited`) and out of `Done`;
 * only the waiter moves it out of `Serving`. `Requested` is the one state both sides leave,
 * by compare-exchange: the waiter to `Serving` (it will wait in the kernel) or, on cancel, the
 * pool back to `Idle` (the request never reached the kernel), so exactly one side wins.
 *
 * @packageDocumentation
 */
import type { WaitSyscall } from '../sys/interrupt';

/** Slot indices in the control array. */
export const enum Slot {
  /** {@link State}. */
  State = 0,
  /** Non-zero: the current request is abandoned, stop waiting. */
  Cancel = 1,
  /** Kernel thread id of the waiter, set (and notified) once it has started: 0 before, -1 if it could not. */
  Tid = 2,
  Fd = 3,
  /** 0 = read, 1 = write. */
  Write = 4,
  /** 0 = OFD, 1 = POSIX. */
  Posix = 5,
  /** Low half of the range's start; the high half is in the next slot ({@link put64}). */
  StartLow = 6,
  /** Low half of the range's length; the high half is in the next slot. */
  CountLow = 8,
  /** {@link Result} of the last request. */
  Result = 10,
  /** errno when Result is Failed. */
  Errno = 11,
  /** Index in {@link SYSCALLS} of the call that failed when Result is Failed. */
  Syscall = 12,
}

/** Number of slots. */
export const SLOTS = 13;

/** Life cycle of one waiter. Only `Idle` needs its value: a new control array is all zeros. */
export const enum State {
  Idle = 0,
  Requested,
  /** The waiter took the request and waits in the kernel. */
  Serving,
  Done,
  /** The pool told it to exit, or it could not start (Result says why). */
  Exited,
}

/** What the waiter reports for a request; 0 before its first report. */
export const enum Result {
  Granted = 1,
  Stopped,
  Failed,
}

/** The system calls a waiter thread makes; a failure names one by its index here. */
export const SYSCALLS: readonly WaitSyscall[] = ['fcntl(F_SETLKW)', 'timer_create', 'timer_settime', 'sigaction', 'pthread_sigmask'];

const TWO_32 = 2 ** 32;

/** Writes a non-negative safe integer into two slots. */
export function put64(ctrl: Int32Array, low: Slot, value: number): void {
  ctrl[low] = (value % TWO_32) | 0;
  ctrl[low + 1] = Math.floor(value / TWO_32);
}

/** Reads a value written by {@link put64}. */
export function get64(ctrl: Int32Array, low: Slot): number {
  return (ctrl[low + 1] ?? 0) * TWO_32 + ((ctrl[low] ?? 0) >>> 0);
}
