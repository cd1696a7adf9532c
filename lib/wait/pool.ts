/**
 * Waiter threads: where a lock request that cannot be granted at once waits in the kernel.
 *
 * Why threads of our own: a blocked `F_SETLKW` on the event loop freezes the program, and on
 * the libuv pool (koffi `.async`, fs-ext) it starves `fs` and DNS and can deadlock a holder
 * that needs file I/O to finish. So each pending kernel wait gets a dedicated
 * `worker_threads` Worker that blocks in `F_SETLKW` and reports through shared memory; the
 * kernel's own wait queue decides who gets the lock, and the release wakes the waiter at once.
 *
 * A {@link WaiterPool} owns its threads and its queue; each JS thread has a default pool, in
 * its `ThreadState` (`process-hooks/thread-state.ts`). Waiters start on demand, are reused, stay `ref()`ed only while
 * they wait (a pending untimed acquire keeps the process alive, like pending I/O) and exit
 * after `idleMs` without work, except `warm` of them, which stay (unref'd) so that a
 * sporadic wait pays no thread start. At most `maxWaiters` wait in the kernel at once; further
 * requests queue here and retry a non-blocking set every `queueRetryMs`. On `process.exit()`
 * every busy waiter is interrupted so the exit is never held up by a thread stuck in the kernel.
 *
 * @packageDocumentation
 */
import { Worker } from 'node:worker_threads';
import { LockSystemError } from '../errors/errors';
import { errnoError, setLock, type Backend } from '../sys/fcntl';
import { InterruptSignal } from '../sys/interrupt';
import { koffiPath } from '../sys/libc';
import { put64, Result, SLOTS, Slot, State, SYSCALLS } from './protocol';
import { WAITER_SOURCE } from './waiter-source';

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
/** How long an exit waits, at most, for waiter threads still starting, in ms. */
const EXIT_START_WAIT_MS = 1000;

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
  /** In the pool's queue until a thread is free (at once below `maxWaiters`), retried without blocking: `wait`. */
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
 * A waiter thread that could not start (`pthread_create`: Node names libuv's error, e.g.
 * `EAGAIN`, in the message of `ERR_WORKER_INIT_FAILED`) or that died without reporting a
 * failed call (no errno is known: `UNKNOWN`, as libuv says).
 */
function threadError(cause: unknown, started: boolean): LockSystemError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const errno = code === 'ERR_WORKER_INIT_FAILED' ? /\bE[A-Z0-9]+\b/.exec(message)?.[0] : undefined;
  return started
    ? new LockSystemError('worker_threads', 'UNKNOWN', `lock waiter thread exited while waiting: ${message}`)
    : new LockSystemError('pthread_create', errno ?? 'UNKNOWN', `lock waiter thread could not start: ${message}`);
}

/** The error a waiter reported for a failed request or start, as the public error. */
function reportedError(ctrl: Int32Array): Error {
  const syscall = SYSCALLS[Atomics.load(ctrl, Slot.Syscall)] ?? 'fcntl(F_SETLKW)';
  return errnoError(syscall, Atomics.load(ctrl, Slot.Errno));
}

/** Waiter threads and the queue beyond them, for one JS thread. */
export class WaiterPool implements WaiterPoolView {
  readonly #maxWaiters: number;
  readonly #idleMs: number;
  readonly #queueRetryMs: number;
  readonly #warm: number;
  /** The calling thread's interrupt signal, sent to busy waiters. */
  readonly #signal: InterruptSignal;
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
  /** Set once the process (or this JS thread) is exiting: no thread may start any more. */
  #exiting = false;
  /**
   * At exit, Node terminates every thread. A thread terminated while it loads koffi aborts the
   * whole process (SIGABRT: koffi's init throws into a terminating isolate), so the exit first
   * lets starting threads finish starting (bounded by {@link EXIT_START_WAIT_MS}) and starts no
   * new ones. Termination cannot stop a thread blocked in the kernel: interrupt them all.
   */
  readonly #onProcessExit = (): void => {
    this.#exiting = true;
    const deadline = performance.now() + EXIT_START_WAIT_MS;
    for (const { ctrl } of this.#all) {
      for (let left = deadline - performance.now(); Atomics.load(ctrl, Slot.Tid) === 0 && left > 0; left = deadline - performance.now()) {
        Atomics.wait(ctrl, Slot.Tid, 0, left);
      }
    }
    for (const waiter of this.#busy) this.#interrupt(waiter);
  };

  /** `signal`: the calling thread's interrupt signal (its `ThreadState`'s); default, one of the pool's own. */
  constructor(options: WaiterPoolOptions = {}, signal: InterruptSignal = new InterruptSignal()) {
    this.#maxWaiters = options.maxWaiters ?? 32;
    this.#idleMs = options.idleMs ?? 1000;
    this.#queueRetryMs = options.queueRetryMs ?? 10;
    this.#warm = options.warm ?? 1;
    this.#signal = signal;
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
    this.#queue.add(job);
    this.#pump();
    return { done, cancel: () => this.#cancel(job) };
  }

  #isIdle(): boolean {
    return this.#busy.size === 0 && this.#queue.size === 0;
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
    this.#watch(waiter, job);
  }

  #cancel(job: Job): void {
    const waiter = job.waiter;
    if (job.state === JobState.Queued) {
      this.#queue.delete(job);
      this.#settle(job, 'stopped');
      this.#pump();
    } else if (job.state === JobState.Dispatched && waiter !== undefined) {
      if (Atomics.compareExchange(waiter.ctrl, Slot.State, State.Requested, State.Idle) === State.Requested) {
        // Taken back before the thread picked it up (e.g. still starting): nothing to interrupt.
        Atomics.notify(waiter.ctrl, Slot.State);
        this.#park(waiter);
        this.#settle(job, 'stopped');
        this.#pump();
        return;
      }
      job.state = JobState.Cancelling;
      const resignal = (): void => {
        if (job.state !== JobState.Cancelling) return;
        this.#interrupt(waiter);
        setTimeout(resignal, CANCEL_RETRY_MS);
      };
      resignal();
    }
  }

  /** Sends a waiter the cancel flag and the interrupt signal. */
  #interrupt(waiter: Waiter): void {
    Atomics.store(waiter.ctrl, Slot.Cancel, 1);
    const tid = Atomics.load(waiter.ctrl, Slot.Tid);
    if (tid > 0) this.#signal.interruptThread(tid);
  }

  /** The one way a job ends: `done` settles exactly once. */
  #settle(job: Job, outcome: WaitEnd | Error): void {
    if (job.state === JobState.Done) return;
    job.state = JobState.Done;
    job.waiter = undefined;
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
  }

  /** Waits (without blocking) for `waiter` to report on `job`. */
  #watch(waiter: Waiter, job: Job): void {
    if (waiter.job !== job) return; // taken back by #cancel, or its exit event came first
    const state = Atomics.load(waiter.ctrl, Slot.State);
    if (state === State.Requested || state === State.Serving) {
      const wait = Atomics.waitAsync(waiter.ctrl, Slot.State, state);
      if (wait.async) void wait.value.then(() => this.#watch(waiter, job));
      else queueMicrotask(() => this.#watch(waiter, job));
      return;
    }
    this.#park(waiter);
    // State.Exited: it could not start; its exit event forgets it.
    const result = Atomics.load(waiter.ctrl, Slot.Result);
    if (result === Result.Failed) this.#settle(job, reportedError(waiter.ctrl));
    else this.#settle(job, result === Result.Granted ? 'granted' : 'stopped');
    this.#pump();
  }

  /** Frees a thread from its job: back to the idle list after `Done`, dropped after `Exited`. */
  #park(waiter: Waiter): void {
    waiter.job = undefined;
    this.#busy.delete(waiter);
    waiter.worker.unref();
    if (Atomics.compareExchange(waiter.ctrl, Slot.State, State.Done, State.Idle) === State.Exited) return;
    waiter.idleSince = performance.now();
    this.#idle.push(waiter);
    this.#scheduleSweep();
  }

  /** Hands queued jobs to free or new waiters, in call order; schedules the retry of the rest. */
  #pump(): void {
    if (this.#exiting) return;
    for (const job of this.#queue) {
      let waiter: Waiter | undefined;
      try {
        waiter = this.#idle.pop() ?? (this.#busy.size < this.#maxWaiters ? this.#spawn() : undefined);
      } catch (err) {
        this.#queue.delete(job);
        this.#settle(job, threadError(err, false));
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
    // From source text, not a file: works from a single-file bundle and from the TypeScript
    // source. No inherited execArgv: the script is plain CommonJS whatever the app runs with
    // (`--input-type=module` would make it an ES module) and needs no loader.
    const worker = new Worker(WAITER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { control: ctrl.buffer, koffi: koffiPath() },
      stdout: false,
      stderr: false,
    });
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
      waiter.job = undefined;
      this.#busy.delete(waiter);
      const reported = Atomics.load(waiter.ctrl, Slot.Result) === Result.Failed && Atomics.load(waiter.ctrl, Slot.State) === State.Exited;
      this.#settle(job, reported ? reportedError(waiter.ctrl) : threadError(waiter.error ?? `exit code ${code}`, true));
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
