/**
 * Waiter threads: where a lock request that cannot be granted at once waits in the kernel.
 *
 * Why threads of our own: a blocked `F_SETLKW` on the event loop freezes the program, and on
 * the libuv pool (koffi `.async`, fs-ext) it starves `fs` and DNS and can deadlock a holder
 * that needs file I/O to finish. So each pending kernel wait gets a dedicated
 * `worker_threads` Worker that blocks in `F_SETLKW` and reports through shared memory; the
 * kernel's own wait queue decides who gets the lock, and the release wakes the waiter at once.
 *
 * A {@link WaiterPool} owns its threads and its queue; each JS thread has a default pool
 * ({@link defaultWaiterPool}). Waiters start on demand, are reused, stay `ref()`ed only while
 * they wait (a pending untimed acquire keeps the process alive, like pending I/O) and exit
 * after `idleMs` without work, except `warm` of them, which stay (unref'd) so that a
 * sporadic wait pays no thread start. At most `maxWaiters` wait in the kernel at once; further
 * requests queue here and retry a non-blocking set every `queueRetryMs`. On `process.exit()`
 * every busy waiter is interrupted so the exit is never held up by a thread stuck in the kernel.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LockSystemError } from '../errors/errors';
import { errnoError, setLock, type Backend } from '../sys/fcntl';
import { interruptThread } from '../sys/interrupt';
import { put64, Result, SLOTS, Slot, State, SYSCALLS } from './protocol';

/** Limits of a {@link WaiterPool}. */
export interface WaiterPoolOptions {
  /** Waiter threads blocked in the kernel at once; later requests queue. Default 32. */
  readonly maxWaiters?: number;
  /** How long an idle waiter thread beyond the `warm` ones lingers before it exits, in ms. Default 1000. */
  readonly idleMs?: number;
  /** Period of the non-blocking retry of requests queued beyond `maxWaiters`, in ms. Default 10. */
  readonly queueRetryMs?: number;
  /** Idle waiter threads kept (unref'd, never holding the process alive) once started. Default 1. */
  readonly warm?: number;
}

/** Period at which a cancel is re-signalled until the waiter acknowledges it, in ms. */
const CANCEL_RETRY_MS = 1;

const SCRIPT = path.join(__dirname, 'waiter-thread.js');

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

/**
 * Read-only view of a waiter pool: how many threads it has and how much work is pending,
 * and two ways to reach a quiet state without sleeping.
 */
export interface WaiterPoolView {
  /** Waiter threads alive (busy, idle or exiting). */
  readonly threads: number;
  /** Requests blocked in the kernel on a waiter thread (including ones being cancelled). */
  readonly waiting: number;
  /** Requests queued beyond the thread limit, retried without blocking. */
  readonly queued: number;
  /** Resolves once `waiting` and `queued` are both 0 (at once if they are). */
  onIdle(): Promise<void>;
  /** Ends every idle waiter thread now, warm ones included; resolves once they have exited. Busy ones are left alone. */
  trim(): Promise<void>;
}

/** Where a job is in its life. Each change happens in one method of {@link WaiterPool}. */
const enum JobState {
  /** In the pool's queue (beyond `maxWaiters`), retried without blocking: `#enqueue`. */
  Queued,
  /** A waiter thread waits in the kernel for it: `#dispatch`. */
  Dispatched,
  /** Dispatched, and the waiter is interrupted until it reports: `#cancel`. */
  Cancelling,
  /** `done` has settled: `#settle`. */
  Done,
}

interface Job {
  readonly request: WaitRequest;
  readonly resolve: (end: WaitEnd) => void;
  readonly reject: (err: Error) => void;
  state: JobState;
  waiter: Waiter | undefined;
}

interface Waiter {
  readonly worker: Worker;
  readonly ctrl: Int32Array;
  readonly exited: Promise<void>;
  job: Job | undefined;
  /** `performance.now()` when it last became idle. */
  idleSince: number;
  /** What the thread's `error` event reported, if it died of an uncaught error. */
  error: unknown;
}

/**
 * A waiter thread that could not start or died without reporting a failed call. Node names
 * libuv's error (e.g. `EAGAIN`) in the message of `ERR_WORKER_INIT_FAILED`; otherwise no
 * errno is known and it says `UNKNOWN`, as libuv does.
 */
function threadError(cause: unknown, what: string): LockSystemError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const errno = code === 'ERR_WORKER_INIT_FAILED' ? (/\bE[A-Z0-9]+\b/.exec(message)?.[0] ?? 'UNKNOWN') : 'UNKNOWN';
  return new LockSystemError('pthread_create', errno, `lock waiter thread ${what}: ${message}`);
}

/** The error a waiter reported for a failed request or start, as the public error. */
function reportedError(ctrl: Int32Array): Error {
  const syscall = SYSCALLS[Atomics.load(ctrl, Slot.Syscall)] ?? 'fcntl(F_SETLKW)';
  return errnoError(syscall, Atomics.load(ctrl, Slot.Errno));
}

/** Sends a waiter the cancel flag and the interrupt signal. */
function interrupt(waiter: Waiter): void {
  Atomics.store(waiter.ctrl, Slot.Cancel, 1);
  const tid = Atomics.load(waiter.ctrl, Slot.Tid);
  if (tid !== 0) interruptThread(tid);
}

/** Waiter threads and the queue beyond them, for one JS thread. */
export class WaiterPool implements WaiterPoolView {
  readonly #maxWaiters: number;
  readonly #idleMs: number;
  readonly #queueRetryMs: number;
  readonly #warm: number;
  /** Every thread alive, until its `exit` event. */
  readonly #all = new Set<Waiter>();
  /** Threads with a job (dispatched or cancelling). */
  readonly #busy = new Set<Waiter>();
  /** Idle threads, the longest idle first. */
  readonly #idle: Waiter[] = [];
  /** Jobs beyond `maxWaiters`, in call order. */
  readonly #queue = new Set<Job>();
  readonly #idleWatchers: Array<() => void> = [];
  #retryTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Worker termination at exit cannot stop a thread blocked in the kernel: interrupt them all. */
  readonly #onProcessExit = (): void => {
    for (const waiter of this.#busy) interrupt(waiter);
  };

  constructor(options: WaiterPoolOptions = {}) {
    this.#maxWaiters = options.maxWaiters ?? 32;
    this.#idleMs = options.idleMs ?? 1000;
    this.#queueRetryMs = options.queueRetryMs ?? 10;
    this.#warm = options.warm ?? 1;
  }

  get threads(): number {
    return this.#all.size;
  }

  get waiting(): number {
    return this.#busy.size;
  }

  get queued(): number {
    return this.#queue.size;
  }

  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWatchers.push(resolve));
  }

  async trim(): Promise<void> {
    for (const waiter of this.#idle.splice(0)) this.#retire(waiter);
    await Promise.all([...this.#all].filter((waiter) => waiter.job === undefined).map((waiter) => waiter.exited));
  }

  /**
   * Starts waiting for `request` on a waiter thread (or in the queue) and returns at once.
   * The caller has already tried the non-blocking set and found the range busy.
   */
  wait(request: WaitRequest): WaitTicket {
    let resolve!: (end: WaitEnd) => void;
    let reject!: (err: Error) => void;
    const done = new Promise<WaitEnd>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { request, resolve, reject, state: JobState.Queued, waiter: undefined };
    this.#enqueue(job);
    return { done, cancel: () => this.#cancel(job) };
  }

  #isIdle(): boolean {
    return this.#busy.size === 0 && this.#queue.size === 0;
  }

  #enqueue(job: Job): void {
    job.state = JobState.Queued;
    this.#queue.add(job);
    this.#pump();
  }

  #dispatch(job: Job, waiter: Waiter): void {
    const { ctrl } = waiter;
    const { request } = job;
    Atomics.store(ctrl, Slot.Cancel, 0);
    Atomics.store(ctrl, Slot.Fd, request.fd);
    Atomics.store(ctrl, Slot.Write, request.write ? 1 : 0);
    Atomics.store(ctrl, Slot.Posix, request.backend === 'posix' ? 1 : 0);
    put64(ctrl, Slot.StartLow, request.start);
    put64(ctrl, Slot.CountLow, request.count);
    this.#queue.delete(job);
    job.state = JobState.Dispatched;
    job.waiter = waiter;
    waiter.job = job;
    this.#busy.add(waiter);
    waiter.worker.ref();
    Atomics.store(ctrl, Slot.State, State.Requested);
    Atomics.notify(ctrl, Slot.State);
    this.#watch(waiter);
  }

  #cancel(job: Job): void {
    if (job.state === JobState.Queued) {
      this.#queue.delete(job);
      this.#settle(job, 'stopped');
      this.#pump();
    } else if (job.state === JobState.Dispatched && job.waiter !== undefined) {
      job.state = JobState.Cancelling;
      const waiter = job.waiter;
      const resignal = (): void => {
        if (job.state !== JobState.Cancelling) return;
        interrupt(waiter);
        setTimeout(resignal, CANCEL_RETRY_MS);
      };
      resignal();
    }
  }

  /** The one way a job ends: `done` settles exactly once. */
  #settle(job: Job, outcome: WaitEnd | Error): void {
    if (job.state === JobState.Done) return;
    job.state = JobState.Done;
    job.waiter = undefined;
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
  }

  /** Waits (without blocking) for `waiter` to report on its current request. */
  #watch(waiter: Waiter): void {
    const wait = Atomics.waitAsync(waiter.ctrl, Slot.State, State.Requested);
    if (wait.async) void wait.value.then(() => this.#collect(waiter));
    else queueMicrotask(() => this.#collect(waiter));
  }

  /** A waiter reported (or could not start): settle its job and reuse or drop the thread. */
  #collect(waiter: Waiter): void {
    const job = waiter.job;
    if (job === undefined) return; // its exit event came first
    const state = Atomics.load(waiter.ctrl, Slot.State);
    if (state === State.Requested) return this.#watch(waiter);
    this.#unbusy(waiter);
    const result = Atomics.load(waiter.ctrl, Slot.Result);
    if (state === State.Done) {
      Atomics.store(waiter.ctrl, Slot.State, State.Idle);
      waiter.idleSince = performance.now();
      this.#idle.push(waiter);
      this.#scheduleSweep();
    }
    // State.Exited: it could not start; its exit event forgets it.
    if (result === Result.Failed) this.#settle(job, reportedError(waiter.ctrl));
    else this.#settle(job, result === Result.Granted ? 'granted' : 'stopped');
    this.#pump();
  }

  #unbusy(waiter: Waiter): void {
    waiter.job = undefined;
    this.#busy.delete(waiter);
    waiter.worker.unref();
  }

  /** Hands queued jobs to free or new waiters, in call order; schedules the retry of the rest. */
  #pump(): void {
    for (const job of this.#queue) {
      let waiter: Waiter | undefined;
      try {
        waiter = this.#idle.pop() ?? (this.#busy.size < this.#maxWaiters ? this.#spawn() : undefined);
      } catch (err) {
        this.#queue.delete(job);
        this.#settle(job, threadError(err, 'could not start'));
        continue;
      }
      if (waiter === undefined) break;
      this.#dispatch(job, waiter);
    }
    if (this.#queue.size === 0) {
      clearInterval(this.#retryTimer);
      this.#retryTimer = undefined;
    } else if (this.#retryTimer === undefined) {
      this.#retryTimer = setInterval(() => this.#retryQueued(), this.#queueRetryMs);
    }
    if (this.#isIdle()) for (const resolve of this.#idleWatchers.splice(0)) resolve();
  }

  #retryQueued(): void {
    for (const job of this.#queue) {
      const { fd, backend, write, start, count } = job.request;
      let outcome: WaitEnd | Error | undefined;
      try {
        if (setLock(fd, backend, write ? 'write' : 'read', start, count)) outcome = 'granted';
      } catch (err) {
        outcome = err as Error;
      }
      if (outcome === undefined) continue;
      this.#queue.delete(job);
      this.#settle(job, outcome);
    }
    this.#pump();
  }

  #spawn(): Waiter {
    const ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
    const worker = new Worker(SCRIPT, { workerData: { control: ctrl.buffer }, stdout: false, stderr: false });
    let exited!: () => void;
    const waiter: Waiter = {
      worker,
      ctrl,
      exited: new Promise<void>((resolve) => (exited = resolve)),
      job: undefined,
      idleSince: 0,
      error: undefined,
    };
    worker.on('error', (err) => (waiter.error = err));
    worker.on('exit', (code) => {
      this.#forget(waiter, code);
      exited();
    });
    worker.unref();
    if (this.#all.size === 0) process.on('exit', this.#onProcessExit);
    this.#all.add(waiter);
    return waiter;
  }

  /** A thread has exited: fail its job, if it still had one, and drop it. */
  #forget(waiter: Waiter, code: number): void {
    this.#all.delete(waiter);
    if (this.#all.size === 0) process.off('exit', this.#onProcessExit);
    const at = this.#idle.indexOf(waiter);
    if (at >= 0) this.#idle.splice(at, 1);
    const job = waiter.job;
    if (job !== undefined) {
      this.#unbusy(waiter);
      const reported = Atomics.load(waiter.ctrl, Slot.Result) === Result.Failed && Atomics.load(waiter.ctrl, Slot.State) === State.Exited;
      this.#settle(job, reported ? reportedError(waiter.ctrl) : threadError(waiter.error ?? `exit code ${code}`, 'exited while waiting'));
    }
    this.#pump();
  }

  /** Tells an idle thread to exit; its exit event forgets it. Ref'd until then, so that `trim()` can be awaited. */
  #retire(waiter: Waiter): void {
    waiter.worker.ref();
    Atomics.store(waiter.ctrl, Slot.State, State.Exited);
    Atomics.notify(waiter.ctrl, Slot.State);
  }

  /** Retires threads idle for `idleMs`, the longest idle first, keeping `warm` of them. */
  #scheduleSweep(): void {
    if (this.#sweepTimer !== undefined) return;
    const oldest = this.#idle[0];
    if (oldest === undefined || this.#idle.length <= this.#warm) return;
    const sweep = (): void => {
      this.#sweepTimer = undefined;
      const cutoff = performance.now() - this.#idleMs;
      for (let first = this.#idle[0]; first !== undefined && this.#idle.length > this.#warm && first.idleSince <= cutoff; first = this.#idle[0]) {
        this.#retire(first);
        this.#idle.shift();
      }
      this.#scheduleSweep();
    };
    this.#sweepTimer = setTimeout(sweep, Math.max(0, oldest.idleSince + this.#idleMs - performance.now()));
    this.#sweepTimer.unref();
  }
}

let pool: WaiterPool | undefined;

/** The calling JS thread's default pool, created on first use with the default limits. */
export function defaultWaiterPool(): WaiterPool {
  pool ??= new WaiterPool();
  return pool;
}

/** Waits for `request` on the calling thread's default pool (see {@link WaiterPool.wait}). */
export function waitInThread(request: WaitRequest): WaitTicket {
  return defaultWaiterPool().wait(request);
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
    return defaultWaiterPool().threads;
  },
  get waiting() {
    return defaultWaiterPool().waiting;
  },
  get queued() {
    return defaultWaiterPool().queued;
  },
  onIdle: () => defaultWaiterPool().onIdle(),
  trim: () => defaultWaiterPool().trim(),
};
