/**
 * Waiter threads: where a lock request that cannot be granted at once waits in the kernel.
 *
 * Why threads of our own: a blocked `F_SETLKW` on the event loop freezes the program, and on
 * the libuv pool (koffi `.async`, fs-ext) it starves `fs` and DNS and can deadlock a holder
 * that needs file I/O to finish. So each pending kernel wait gets a dedicated
 * `worker_threads` Worker that blocks in `F_SETLKW` and reports through shared memory; the
 * kernel's own wait queue decides who gets the lock, and the release wakes the waiter at once.
 *
 * Life cycle: waiters are started on demand, reused, kept `ref()`ed only while they wait (a
 * pending untimed acquire keeps the process alive, like pending I/O), and exit after
 * {@link IDLE_MS} without work. At most {@link MAX_WAITERS} wait in the kernel at once per
 * thread; further requests queue here and retry a non-blocking set every
 * {@link QUEUE_RETRY_MS} until a waiter frees up. On `process.exit()` every busy waiter is
 * interrupted so the exit is never held up by a thread stuck in the kernel.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LockError, LockSystemError } from '../errors/errors';
import { errnoError, setLock, type Backend } from '../sys/fcntl';
import { interruptThread } from '../sys/interrupt';
import { put64, Result, SLOTS, Slot, State } from './protocol';

/** How long an idle waiter thread lingers before it exits, in ms. */
export const IDLE_MS = 1000;
/** Waiter threads blocked in the kernel at once, per JS thread. */
export const MAX_WAITERS = 32;
/** Period of the non-blocking retry for requests queued beyond {@link MAX_WAITERS}, in ms. */
export const QUEUE_RETRY_MS = 10;
/** Period at which a cancel is re-signalled until the waiter acknowledges it, in ms. */
const CANCEL_RETRY_MS = 1;

/** One lock request to wait for, on the owner that `fd` (and `backend`) imply. */
export interface WaitRequest {
  readonly fd: number;
  readonly backend: Backend;
  readonly write: boolean;
  readonly start: number;
  readonly count: number;
}

/** How a wait ended: the lock is now held (`'granted'`) or nothing was taken (`'stopped'`). */
export type WaitEnd = 'granted' | 'stopped';

/** A request in progress. */
export interface WaitTicket {
  /**
   * Settles once the kernel side is finished with the request; rejects with a typed error
   * (e.g. `DeadlockError`) on failure. After {@link cancel} it may still say `'granted'`
   * when the grant won the race: the caller then owns the lock and must give it back.
   */
  readonly done: Promise<WaitEnd>;
  /** Asks for the wait to stop. Idempotent; harmless after the end. */
  cancel(): void;
}

interface Waiter {
  readonly worker: Worker;
  readonly ctrl: Int32Array;
  alive: boolean;
  job: Job | undefined;
}

interface Job {
  readonly request: WaitRequest;
  readonly resolve: (end: WaitEnd) => void;
  readonly reject: (err: Error) => void;
  cancelled: boolean;
  finished: boolean;
  waiter: Waiter | undefined;
}

const idle: Waiter[] = [];
const busy = new Set<Waiter>();
const queue: Job[] = [];
let queueTimer: NodeJS.Timeout | undefined;
let exitHookInstalled = false;

const SCRIPT = path.join(__dirname, 'waiter-thread.js');

function finish(job: Job, outcome: WaitEnd | Error): void {
  if (job.finished) return;
  job.finished = true;
  if (outcome instanceof Error) job.reject(outcome);
  else job.resolve(outcome);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Worker termination at exit cannot stop a thread blocked in the kernel: interrupt them all.
  process.on('exit', () => {
    for (const waiter of busy) signal(waiter);
  });
}

function signal(waiter: Waiter): void {
  Atomics.store(waiter.ctrl, Slot.Cancel, 1);
  const tid = Atomics.load(waiter.ctrl, Slot.Tid);
  if (tid !== 0) interruptThread(tid);
}

/** A waiter thread's failure (e.g. EMFILE while starting it) as the library's typed error. */
function waiterError(err: unknown): LockError {
  if (err instanceof LockError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const errno = /\bE[A-Z0-9]{2,}\b/.exec(message)?.[0] ?? 'EIO';
  return new LockSystemError('worker_threads', errno, `lock waiter thread failed: ${message}`);
}

function spawn(): Waiter {
  installExitHook();
  const ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  let worker: Worker;
  try {
    worker = new Worker(SCRIPT, { workerData: { control: ctrl.buffer, idleMs: IDLE_MS }, stdout: false, stderr: false });
  } catch (err) {
    throw waiterError(err);
  }
  const waiter: Waiter = { worker, ctrl, alive: true, job: undefined };
  const die = (err: unknown): void => {
    waiter.alive = false;
    const at = idle.indexOf(waiter);
    if (at >= 0) idle.splice(at, 1);
    busy.delete(waiter);
    if (waiter.job !== undefined) finish(waiter.job, waiterError(err));
    waiter.job = undefined;
    pump();
  };
  worker.on('error', die);
  worker.on('exit', (code) => die(`the thread exited (code ${code}) while waiting`));
  worker.unref();
  return waiter;
}

function dispatch(job: Job): boolean {
  let waiter = idle.pop();
  while (waiter !== undefined && !waiter.alive) waiter = idle.pop();
  if (waiter === undefined) {
    if (busy.size >= MAX_WAITERS) return false;
    waiter = spawn();
  }
  const { ctrl } = waiter;
  const { request } = job;
  Atomics.store(ctrl, Slot.Cancel, 0);
  Atomics.store(ctrl, Slot.Fd, request.fd);
  Atomics.store(ctrl, Slot.Write, request.write ? 1 : 0);
  Atomics.store(ctrl, Slot.Posix, request.backend === 'posix' ? 1 : 0);
  put64(ctrl, Slot.StartLow, request.start);
  put64(ctrl, Slot.CountLow, request.count);
  if (Atomics.compareExchange(ctrl, Slot.State, State.Idle, State.Requested) !== State.Idle) {
    // It timed out and exited between being idle and now: forget it and use another.
    waiter.alive = false;
    return dispatch(job);
  }
  Atomics.notify(ctrl, Slot.State);
  waiter.job = job;
  job.waiter = waiter;
  busy.add(waiter);
  waiter.worker.ref();
  const wait = Atomics.waitAsync(ctrl, Slot.State, State.Requested);
  if (wait.async) void wait.value.then(() => complete(waiter));
  else queueMicrotask(() => complete(waiter));
  return true;
}

function complete(waiter: Waiter): void {
  const job = waiter.job;
  if (job === undefined || Atomics.load(waiter.ctrl, Slot.State) !== State.Done) return;
  const result = Atomics.load(waiter.ctrl, Slot.Result);
  const errno = Atomics.load(waiter.ctrl, Slot.Errno);
  waiter.job = undefined;
  busy.delete(waiter);
  Atomics.store(waiter.ctrl, Slot.State, State.Idle);
  waiter.worker.unref();
  idle.push(waiter);
  if (result === Result.Failed) finish(job, errnoError('fcntl(F_SETLKW)', errno));
  else finish(job, result === Result.Granted ? 'granted' : 'stopped');
  pump();
}

/** Hands queued jobs to free waiters; retries the rest without blocking. */
function pump(): void {
  while (queue.length > 0) {
    const job = queue[0];
    if (job === undefined) break;
    if (job.cancelled) {
      queue.shift();
      finish(job, 'stopped');
      continue;
    }
    if (!dispatch(job)) break;
    queue.shift();
  }
  if (queue.length === 0) {
    if (queueTimer !== undefined) clearInterval(queueTimer);
    queueTimer = undefined;
  } else if (queueTimer === undefined) {
    queueTimer = setInterval(retryQueued, QUEUE_RETRY_MS);
  }
}

function retryQueued(): void {
  for (let i = 0; i < queue.length; i++) {
    const job = queue[i];
    if (job === undefined) continue;
    const { fd, backend, write, start, count } = job.request;
    let granted: boolean;
    try {
      granted = !job.cancelled && setLock(fd, backend, write ? 'write' : 'read', start, count);
    } catch (err) {
      queue.splice(i--, 1);
      finish(job, err as Error);
      continue;
    }
    if (granted) {
      queue.splice(i--, 1);
      finish(job, 'granted');
    }
  }
  pump();
}

/**
 * Starts waiting for `request` on a waiter thread and returns at once. The caller has
 * already tried the non-blocking set and found the range busy.
 */
export function waitInThread(request: WaitRequest): WaitTicket {
  let resolve!: (end: WaitEnd) => void;
  let reject!: (err: Error) => void;
  const done = new Promise<WaitEnd>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const job: Job = { request, resolve, reject, cancelled: false, finished: false, waiter: undefined };
  if (!dispatch(job)) {
    queue.push(job);
    pump();
  }
  const cancel = (): void => {
    if (job.cancelled || job.finished) return;
    job.cancelled = true;
    const waiter = job.waiter;
    if (waiter === undefined) {
      pump();
      return;
    }
    const resignal = (): void => {
      if (job.finished || waiter.job !== job) return;
      signal(waiter);
      setTimeout(resignal, CANCEL_RETRY_MS);
    };
    resignal();
  };
  return { done, cancel };
}
