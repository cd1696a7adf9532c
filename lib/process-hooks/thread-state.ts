/**
 * The one owner of the state the library keeps for the life of a JS thread, outside any
 * facade instance: {@link ThreadState}. Each JS thread (the main thread, every worker) loads
 * its own copy of the library and so has its own `ThreadState`, made on first use by
 * {@link threadState}; a test can make a fresh one with `new ThreadState()`.
 *
 * The verbs below are what the facades call; each acts on the calling thread's state. The
 * rest of `lib/` keeps no state at module level except syscall scratch bytes (`struct flock`,
 * `struct stat`, the timer structs), which are filled right before one call and read right
 * after it, and lazily computed constants (the libc bindings, ShmLock's default directory),
 * which never change once computed.
 *
 * @packageDocumentation
 */
import type { Backend } from '../sys/fcntl';
import { DescriptorTable } from '../sys/descriptors';
import type { FileId } from '../sys/identity';
import { InterruptSignal, type WaitOutcome } from '../sys/interrupt';
import { WaiterPool, type WaiterPoolView, type WaitRequest, type WaitTicket } from '../wait/pool';
import { ExitHookTable } from './exit-hook-table';

/** Everything one JS thread keeps for the library, outside any facade instance. */
export class ThreadState {
  /** The interrupt signal, claimed by this thread on its first wait or interrupt. */
  readonly interrupt = new InterruptSignal();
  /** This thread's POSIX-backend descriptors, parked until the last one of their file closes. */
  readonly descriptors = new DescriptorTable();
  /** The ShmLock files released on exit and signals, and the process listeners serving them. */
  readonly exitHooks = new ExitHookTable();
  /** The default waiter pool: threads that wait in the kernel for this thread's async acquires. */
  readonly waiters = new WaiterPool({}, this.interrupt);
}

let current: ThreadState | undefined;

/** The calling JS thread's state, made on first use. */
export function threadState(): ThreadState {
  current ??= new ThreadState();
  return current;
}

/**
 * Blocks the calling thread in `F_SETLKW` until granted, `deadline` or `stopped()`; throws the
 * public error when a call fails ({@link InterruptSignal.waitUntil} of the thread's signal).
 */
export function waitUntil(...args: Parameters<InterruptSignal['waitUntil']>): WaitOutcome {
  return threadState().interrupt.waitUntil(...args);
}

/** Waits for `request` on the calling thread's default pool (see {@link WaiterPool.wait}). */
export function waitInThread(request: WaitRequest): WaitTicket {
  return threadState().waiters.wait(request);
}

/** Registers a descriptor that now carries locks for the file `id` ({@link DescriptorTable.adopt}). */
export function adoptDescriptor(backend: Backend, id: FileId): void {
  threadState().descriptors.adopt(backend, id);
}

/**
 * Closes an adopted descriptor now (OFD), or once no other adopted one of the file is open
 * in this thread (POSIX) ({@link DescriptorTable.close}).
 */
export function closeDescriptor(fd: number, backend: Backend, id: FileId): void {
  threadState().descriptors.close(fd, backend, id);
}

/**
 * The calling JS thread's default waiter pool, read-only: the threads that wait in the kernel
 * for this thread's blocked async acquires. Each worker thread sees its own.
 *
 * Use it to take a leak baseline without sleeping: `await waiterPool.onIdle()` once nothing
 * should wait any more, then `await waiterPool.trim()` so that `threads` is 0 and only threads
 * the code under test leaks remain.
 */
export const waiterPool: WaiterPoolView = {
  get threads() {
    return threadState().waiters.threads;
  },
  get waiting() {
    return threadState().waiters.waiting;
  },
  get queued() {
    return threadState().waiters.queued;
  },
  onIdle: () => threadState().waiters.onIdle(),
  trim: () => threadState().waiters.trim(),
};
