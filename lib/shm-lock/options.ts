/**
 * Validation of `ShmLock`'s constructor options and timeouts, at the public boundary: each
 * value is checked once and turned into what the acquire loop trusts.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { InvalidArgumentError } from '../errors/errors';
import { ExitEvent } from '../process-hooks/exit-event';
import type { Logger } from '../logger';
import { invalidType, MAX_TIMEOUT_MS, toBoolean, toOptions, toSignal, toTimeout } from '../args/spec';

/**
 * How long an acquire may wait, in the spirit of shmlock's `timeout`:
 * `undefined`/`null` waits without limit; `false` tries once; `true` means 1,000 ms; a number
 * is milliseconds (fractions allowed, up to 2^31-1). `0` tries once, where shmlock reads a
 * timeout of 0 as "wait forever".
 */
export type ShmTimeout = number | boolean | null | undefined;

/** Options of the `ShmLock` constructor. */
export interface ShmLockOptions {
  /**
   * Milliseconds between two tries while the holder is one without a kernel lock (a Python
   * shmlock process); also bounds each kernel wait of `acquireSync`. Default 50 (shmlock's
   * 0.05 s; note the unit: milliseconds here, seconds in Python).
   */
  readonly pollInterval?: number;
  /** Receives debug lines about acquires, releases and broken stale locks. */
  readonly logger?: Logger;
  /**
   * While this event is set (or this signal is aborted), acquires stop waiting: `acquire()`
   * returns false, `lock()` rejects with `LockAbortError`. Default: a new {@link ExitEvent}
   * per instance, see `ShmLock.getExitEvent()`. An event made from a signal stops listening
   * to it when the instance closes.
   */
  readonly exitEvent?: ExitEvent | AbortSignal;
  /** Directory of the lock files. Default `/dev/shm` where it exists (shmlock's), else `os.tmpdir()`. */
  readonly dir?: string;
  /** Free text describing the lock, for debugging. Default `''`. */
  readonly description?: string;
  /**
   * Whether acquires queue (default true): while another ShmLock owner waits, a newcomer (the
   * releaser coming straight back included) waits behind it instead of taking the lock first,
   * and waiters are granted in arrival order. `false` keeps the kernel's plain behaviour:
   * whoever runs first after a release wins (highest throughput, no order). Python shmlock
   * processes and `fair: false` instances bypass the queue but still exclude.
   */
  readonly fair?: boolean;
}

/** Options of `ShmLock.addExitHandlers()`; each defaults to true. */
export interface ExitHandlerOptions {
  /** Release on the process `'exit'` event (normal end, `process.exit()`). */
  readonly exit?: boolean;
  /**
   * Release on SIGINT, SIGTERM and SIGHUP when the signal is about to kill the process (no
   * other listener handles it), then let the signal have its default outcome. A signal the
   * application handles itself releases nothing.
   */
  readonly signals?: boolean;
  /**
   * Warn through the logger when the instance is garbage-collected while it holds the lock.
   * The lock is never released on collection (the program may still be in its critical
   * section); it stays held until released, or until the process ends when `exit` is on.
   */
  readonly finalization?: boolean;
}

/** `timeout: true`, as in shmlock: one second. */
const TRUE_TIMEOUT_MS = 1000;
/** Default poll interval, shmlock's 0.05 s. */
const DEFAULT_POLL_MS = 50;
/** Longest file name component (NAME_MAX). */
const MAX_NAME_BYTES = 255;

/**
 * Options of `ShmLock.lock()`, `lockSync()` and `withLock()`, the vocabulary every facade of
 * locksfile shares.
 */
export interface ShmLockRequest {
  /**
   * Give up after this many milliseconds (rejecting with `LockTimeoutError`); `0` tries once.
   * Default: wait without limit.
   */
  readonly timeout?: number;
  /** `false`: try once and reject with `LockBusyError` when the lock is held. Default true. */
  readonly blocking?: boolean;
  /** Abort the wait, rejecting with `LockAbortError` (async calls only). */
  readonly signal?: AbortSignal;
}

/**
 * A validated acquire: try once, or keep trying until `deadline` (`performance.now()`, or
 * none), unless `signal` aborts.
 */
export interface Plan {
  readonly once: boolean;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** A validated {@link ShmLockRequest}: the plan, and what a miss means (busy or timed out). */
export interface Request {
  readonly plan: Plan;
  readonly blocking: boolean;
  readonly timeout: number | undefined;
}

// A constant computed on first use (a fact about the machine), not state.
let defaultDirectory: string | undefined;

/** A lock name: a non-empty file name of at most 255 bytes, without `/` or NUL, not `.` or `..`. */
export function toName(value: unknown): string {
  if (typeof value !== 'string') throw invalidType('name', 'a string', value);
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError('ERR_INVALID_ARG_VALUE', 'name', `${why}, received ${JSON.stringify(value.slice(0, 40))}`);
  if (value.length === 0) throw bad('must not be empty');
  if (value === '.' || value === '..') throw bad('must not be "." or ".."');
  if (value.includes('/') || value.includes('\0')) throw bad('must not contain "/" or NUL');
  if (Buffer.byteLength(value, 'utf8') > MAX_NAME_BYTES) throw bad(`must be at most ${MAX_NAME_BYTES} bytes in UTF-8`);
  return value;
}

/** `options.pollInterval`: more than 0 and at most 2^31-1 ms; default 50. */
export function toPollInterval(value: unknown): number {
  if (value === undefined) return DEFAULT_POLL_MS;
  if (typeof value !== 'number') throw invalidType('options.pollInterval', 'a number of milliseconds', value);
  if (!(value > 0 && value <= MAX_TIMEOUT_MS)) {
    throw new InvalidArgumentError('ERR_OUT_OF_RANGE', 'options.pollInterval', `expected more than 0 and at most ${MAX_TIMEOUT_MS} ms, received ${value}`);
  }
  return value;
}

/**
 * `options.exitEvent`: an ExitEvent as is (the caller's), or one made for the instance from an
 * AbortSignal or from nothing (`owned`: the instance disposes it when it closes).
 */
export function toExitEvent(value: unknown): { readonly event: ExitEvent; readonly owned: boolean } {
  if (value === undefined) return { event: new ExitEvent(), owned: true };
  if (value instanceof ExitEvent) return { event: value, owned: false };
  if (value instanceof AbortSignal) return { event: new ExitEvent(value), owned: true };
  throw invalidType('options.exitEvent', 'an ExitEvent or an AbortSignal', value);
}

/** `/dev/shm` where it exists (where Python's shared memory lives), else `os.tmpdir()`. */
export function defaultDir(): string {
  defaultDirectory ??= fs.statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() === true ? '/dev/shm' : os.tmpdir();
  return defaultDirectory;
}

/**
 * A {@link ShmTimeout} as a {@link Plan}; the deadline starts now. `argument` names the
 * parameter in errors.
 */
export function toPlan(timeout: unknown, argument = 'timeout'): Plan {
  if (timeout === undefined || timeout === null) return { once: false, deadline: undefined, signal: undefined };
  if (timeout === false) return { once: true, deadline: undefined, signal: undefined };
  if (timeout !== true && typeof timeout !== 'number') throw invalidType(argument, 'milliseconds, a boolean, null or undefined', timeout);
  const ms = timeout === true ? TRUE_TIMEOUT_MS : timeout;
  if (!(ms >= 0 && ms <= MAX_TIMEOUT_MS)) {
    throw new InvalidArgumentError('ERR_OUT_OF_RANGE', argument, `expected 0 to ${MAX_TIMEOUT_MS} ms, received ${ms}`);
  }
  return planFor(ms, undefined);
}

function planFor(ms: number | undefined, signal: AbortSignal | undefined): Plan {
  if (ms === 0) return { once: true, deadline: undefined, signal };
  return { once: false, deadline: ms === undefined ? undefined : performance.now() + ms, signal };
}

/**
 * A {@link ShmLockRequest} as a {@link Request}; the deadline starts now. `allowSignal` is
 * false for the sync calls, which refuse a signal.
 */
export function toRequest(value: unknown, allowSignal: boolean): Request {
  const o = toOptions(value);
  if (!allowSignal && o.signal !== undefined) {
    throw new InvalidArgumentError('ERR_INVALID_ARG_VALUE', 'options.signal', 'is only supported by the async calls');
  }
  const signal = toSignal(o.signal, 'options.signal');
  const blocking = toBoolean(o.blocking, 'options.blocking', true);
  const timeout = toTimeout(o.timeout, 'options.timeout');
  return { plan: planFor(blocking ? timeout : 0, signal), blocking, timeout };
}
