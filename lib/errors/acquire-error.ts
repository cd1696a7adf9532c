/**
 * The errors an acquire that did not succeed turns into, shared by every facade with
 * `lock()` handles (LocksFile, PgLocksFile), so that they word and classify them alike.
 *
 * @packageDocumentation
 */
import type { Acquire, Range } from '../args/spec';
import { LockAbortError, LockBusyError, type LockError, LockTimeoutError } from './errors';

/** `[start, end)` and, when given, the mode: how log lines and messages name a range. */
export function describeRange(range: Range, write?: boolean): string {
  const mode = write === undefined ? '' : write ? ' write' : ' read';
  return `[${range.start}, ${range.start + range.count})${mode}`;
}

/** What `lock()` rejects with when the range was not acquired: `busy` (a try that may not wait found it held), else timeout. */
export function notAcquired(range: Range, opts: Pick<Acquire, 'write' | 'timeout'>, busy: boolean): LockError {
  if (busy) return new LockBusyError(`${describeRange(range, opts.write)} is held by another owner`);
  return new LockTimeoutError(`${describeRange(range, opts.write)} not acquired within ${opts.timeout} ms`);
}

/** The `LockAbortError` of an acquire whose `signal` aborted (`cause` = the signal's reason). */
export function abortError(signal: AbortSignal): LockAbortError {
  return new LockAbortError('The lock acquire was aborted', signal.reason);
}
