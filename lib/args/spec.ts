/**
 * Validation at the public boundary. Every user-supplied value is checked here, once, and
 * turned into the normalized shapes the lower layers trust without checking again.
 *
 * @packageDocumentation
 */
import * as nodePath from 'node:path';
import { InvalidArgumentError } from '../errors/errors';

/**
 * Which lock indices a call means: one index `n`, a `[start, count]` pair (pylocksfile's
 * `(lock_n, n_locks)`), or `{ start, count }`. Index `n` is byte `n` of the lock file.
 */
export type LockSpec =
  | number
  | readonly [start: number, count: number]
  | {
      /** First lock index. */
      readonly start: number;
      /** Number of consecutive indices, at least 1. */
      readonly count: number;
    };

/** A validated, normalized range of lock indices `[start, start + count)`. */
export interface Range {
  readonly start: number;
  readonly count: number;
}

/** Largest index a range may reach (exclusive end), so every index is an exact JS number. */
export const MAX_END = Number.MAX_SAFE_INTEGER;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  // Only primitives are left here (objects were described above), so String() is exact.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a primitive, see above
  return `${typeof value} ${String(value)}`;
}

/** Throws `ERR_INVALID_ARG_TYPE` naming `argument`, what was expected and what came. */
export function invalidType(argument: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError('ERR_INVALID_ARG_TYPE', argument, `expected ${expected}, received ${describe(value)}`);
}

/**
 * A non-negative safe integer (`count` additionally must be >= 1). `field` is appended to
 * `argument` in error messages only: nothing is built on the way through.
 */
function checkInteger(argument: string, field: string, value: unknown, min: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_END) return value;
  const name = `${argument}.${field}`;
  if (typeof value !== 'number') throw invalidType(name, 'an integer', value);
  if (!Number.isInteger(value)) throw new InvalidArgumentError('ERR_OUT_OF_RANGE', name, `expected an integer, received ${value}`);
  throw new InvalidArgumentError('ERR_OUT_OF_RANGE', name, `expected an integer from ${min} to 2^53-1, received ${value}`);
}

/**
 * Normalizes a {@link LockSpec}. `argument` names the parameter in error messages.
 * Rejects non-integers, NaN, negatives, `count < 1` and ranges ending past 2^53-1.
 */
export function toRange(spec: unknown, argument = 'spec'): Range {
  let start: unknown;
  let count: unknown;
  if (typeof spec === 'number') {
    start = spec;
    count = 1;
  } else if (Array.isArray(spec)) {
    if (spec.length !== 2) {
      throw new InvalidArgumentError('ERR_INVALID_ARG_VALUE', argument, `expected [start, count], received ${describe(spec)}`);
    }
    [start, count] = spec as unknown[];
  } else if (typeof spec === 'object' && spec !== null) {
    start = (spec as { start?: unknown }).start;
    count = (spec as { count?: unknown }).count;
  } else {
    throw invalidType(argument, 'an index, [start, count] or { start, count }', spec);
  }
  const s = checkInteger(argument, 'start', start, 0);
  const c = checkInteger(argument, 'count', count, 1);
  if (s + c > MAX_END) {
    throw new InvalidArgumentError('ERR_OUT_OF_RANGE', argument, `range [${s}, ${s}+${c}) ends past 2^53-1`);
  }
  return { start: s, count: c };
}

/** `undefined` stays `undefined`; anything else must be a plain object (options bag). */
export function toOptions(value: unknown, argument = 'options'): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidType(argument, 'an options object', value);
  }
  return value as Record<string, unknown>;
}

/** A boolean option; `undefined` gives `fallback`. */
export function toBoolean(value: unknown, argument: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(argument, 'a boolean', value);
  return value;
}

/** Largest timeout accepted, the same bound as Node's timers (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A timeout in milliseconds: a finite number from 0 to 2^31-1 (fractions allowed);
 * `undefined` means no timeout.
 */
export function toTimeout(value: unknown, argument: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidType(argument, 'a number of milliseconds', value);
  if (!(value >= 0 && value <= MAX_TIMEOUT_MS)) {
    throw new InvalidArgumentError('ERR_OUT_OF_RANGE', argument, `expected 0 to ${MAX_TIMEOUT_MS} ms, received ${value}`);
  }
  return value;
}

/** An `AbortSignal` or `undefined`. */
export function toSignal(value: unknown, argument: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalidType(argument, 'an AbortSignal', value);
  return value;
}

/** One of `choices` (compared with `===`), or `fallback` when `undefined`. */
export function toChoice<T extends string>(value: unknown, argument: string, choices: readonly T[], fallback: T): T;
export function toChoice<T extends string>(value: unknown, argument: string, choices: readonly T[]): T | undefined;
export function toChoice<T extends string>(value: unknown, argument: string, choices: readonly T[], fallback?: T): T | undefined {
  if (value === undefined) return fallback;
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new InvalidArgumentError(
      'ERR_INVALID_ARG_VALUE',
      argument,
      `expected one of ${choices.map((c) => `'${c}'`).join(', ')}, received ${describe(value)}`,
    );
  }
  return value as T;
}

/** A function. */
export function toFunction<F extends (...args: never[]) => unknown>(value: unknown, argument: string): F {
  if (typeof value !== 'function') throw invalidType(argument, 'a function', value);
  return value as F;
}

/** A string, or `fallback` when `undefined`. */
export function toString(value: unknown, argument: string, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string') throw invalidType(argument, 'a string', value);
  return value;
}

/** A file or directory path argument: a non-empty string without NUL bytes, resolved against the cwd. */
export function toPath(value: unknown, argument: string): string {
  const path = toString(value, argument);
  if (path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError('ERR_INVALID_ARG_VALUE', argument, 'expected a non-empty path without NUL bytes');
  }
  return nodePath.resolve(path);
}

/** Options of `acquire`, `acquireSync`, `lock`, `lockSync` and `withLock`, validated. */
export interface AcquireOptions {
  /** Exclusive (write) lock when true, shared (read) lock when false. Default false. */
  readonly write?: boolean;
  /** Wait for the range when it is held elsewhere. Default true. */
  readonly blocking?: boolean;
  /** Give up after this many milliseconds (only when blocking); `0` tries once. Default: wait without limit. */
  readonly timeout?: number;
  /** Abort the wait, rejecting with `LockAbortError` (async calls only; the sync ones refuse it). */
  readonly signal?: AbortSignal;
}

/** The normalized form of {@link AcquireOptions}. */
export interface Acquire {
  readonly write: boolean;
  readonly blocking: boolean;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Validates acquire options; `allowSignal` is false for the sync calls. */
export function toAcquire(value: unknown, allowSignal: boolean): Acquire {
  const o = toOptions(value);
  const signal = allowSignal ? toSignal(o.signal, 'options.signal') : undefined;
  if (!allowSignal && o.signal !== undefined) {
    throw new InvalidArgumentError('ERR_INVALID_ARG_VALUE', 'options.signal', 'is only supported by the async calls');
  }
  return {
    write: toBoolean(o.write, 'options.write', false),
    blocking: toBoolean(o.blocking, 'options.blocking', true),
    timeout: toTimeout(o.timeout, 'options.timeout'),
    signal,
  };
}
