/**
 * The one error hierarchy of locksfile. Every error the library throws or rejects with is a
 * {@link LockError} carrying a stable `code` from {@link LockErrorCode}, so callers can branch
 * on `err.code` instead of parsing messages. Every instance carries the
 * `Symbol.for('locksfile.error')` brand, so `instanceof` also recognizes errors made by
 * another installed copy of the package (two versions in one dependency tree).
 *
 * @packageDocumentation
 */

/** Every `code` a locksfile error can carry, in the order the classes below were added. */
const LOCK_ERROR_CODES = [
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_OUT_OF_RANGE',
  'ERR_LOCK_TIMEOUT',
  'ERR_LOCK_BUSY',
  'ERR_LOCK_CLOSED',
  'ERR_LOCK_CANCELED',
  'ABORT_ERR',
  'ERR_LOCK_DEADLOCK',
  'ERR_LOCK_FILE_REPLACED',
  'ERR_LOCK_PATH',
  'ERR_LOCK_SYSTEM',
  'ERR_LOCK_UNSUPPORTED',
  'ERR_SHMLOCK_INCONSISTENT',
  'ERR_LOCK_LOST',
] as const;

/** The stable `code` of a {@link LockError}: one string per failure kind, never renamed. */
export type LockErrorCode = (typeof LOCK_ERROR_CODES)[number];

/** The brand every locksfile error carries, shared by all copies of the package (`Symbol.for`). */
const BRAND = Symbol.for('locksfile.error');

/** Whether `value` was made by some copy of locksfile and carries a known code. */
function isBranded(value: unknown): value is { readonly code: LockErrorCode } {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as { readonly [BRAND]?: unknown; readonly code?: unknown };
  return fields[BRAND] === true && typeof fields.code === 'string';
}

/**
 * Base class of every error thrown by locksfile; `code` is stable across releases.
 * `err instanceof LockError` (or any subclass) is true for errors of this copy of the package
 * and for branded errors of another copy whose `code` belongs to the class.
 */
export class LockError extends Error {
  /** The codes an instance of this class can carry (each subclass lists its own). */
  static readonly codes: readonly LockErrorCode[] = LOCK_ERROR_CODES;

  /** Stable machine-readable identifier, e.g. `'ERR_LOCK_TIMEOUT'`. */
  readonly code: LockErrorCode;

  constructor(code: LockErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Prototype chain first; else the cross-copy brand with a code of this class. */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return isBranded(value) && this.codes.includes(value.code);
  }
}

/** Codes of {@link InvalidArgumentError}, named after Node's own argument errors. */
export type InvalidArgumentCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

/**
 * A public call received an argument of the wrong type (`ERR_INVALID_ARG_TYPE`), a value it
 * cannot accept (`ERR_INVALID_ARG_VALUE`) or a number outside its range (`ERR_OUT_OF_RANGE`).
 * Thrown before anything is changed: no lock, file or descriptor is touched.
 */
export class InvalidArgumentError extends LockError {
  static override readonly codes: readonly LockErrorCode[] = ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE'];

  declare readonly code: InvalidArgumentCode;
  /** Name of the offending argument or option, e.g. `'options.timeout'`. */
  readonly argument: string;

  constructor(code: InvalidArgumentCode, argument: string, message: string) {
    super(code, `${argument}: ${message}`);
    this.argument = argument;
  }
}

/**
 * Base of the error classes that carry one code and take only a message: each subclass states
 * its code once, in its own `codes`, and the constructor takes it from there.
 */
export abstract class SingleCodeError extends LockError {
  declare static readonly codes: readonly [LockErrorCode];

  constructor(message: string) {
    super(new.target.codes[0], message);
  }
}

/** `lock()`/`lockSync()` could not acquire within `timeout` ms (`ERR_LOCK_TIMEOUT`). */
export class LockTimeoutError extends SingleCodeError {
  static override readonly codes = ['ERR_LOCK_TIMEOUT'] as const;
}

/** `lock()`/`lockSync()` with `blocking: false` found the range held by another owner (`ERR_LOCK_BUSY`). */
export class LockBusyError extends SingleCodeError {
  static override readonly codes = ['ERR_LOCK_BUSY'] as const;
}

/** The instance was closed before or while the call ran (`ERR_LOCK_CLOSED`). */
export class LockClosedError extends SingleCodeError {
  static override readonly codes = ['ERR_LOCK_CLOSED'] as const;
}

/**
 * A pending acquire was abandoned because the same instance released an overlapping range
 * while it waited (`ERR_LOCK_CANCELED`). Nothing of the abandoned request stays held.
 */
export class LockCanceledError extends SingleCodeError {
  static override readonly codes = ['ERR_LOCK_CANCELED'] as const;
}

/**
 * The wait was aborted through an `AbortSignal`. Like the DOM's `AbortError`, its `name` is
 * `'AbortError'`; `code` is Node's `'ABORT_ERR'` and `cause` is the signal's reason.
 */
export class LockAbortError extends LockError {
  static override readonly codes: readonly LockErrorCode[] = ['ABORT_ERR'];

  constructor(message: string, reason: unknown) {
    super('ABORT_ERR', message, { cause: reason });
    this.name = 'AbortError';
  }
}

/** The kernel reported a deadlock (`EDEADLK`, POSIX backend only) (`ERR_LOCK_DEADLOCK`). */
export class DeadlockError extends SingleCodeError {
  static override readonly codes = ['ERR_LOCK_DEADLOCK'] as const;
}

/**
 * The lock file at `path` was deleted or replaced while this instance held locks on the old
 * file (`ERR_LOCK_FILE_REPLACED`). The old locks no longer exclude anyone who opens `path`.
 */
export class LockFileReplacedError extends LockError {
  static override readonly codes: readonly LockErrorCode[] = ['ERR_LOCK_FILE_REPLACED'];

  /** The lock file's path, which now names another file or nothing. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('ERR_LOCK_FILE_REPLACED', message);
    this.path = path;
  }
}

/**
 * The lock file or named-lock path is unusable: not a regular file, a symlink, missing
 * directory, no permission, name too long (`ERR_LOCK_PATH`). `errno` names the system
 * error when there was one (e.g. `'ELOOP'`, `'EACCES'`).
 */
export class LockPathError extends LockError {
  static override readonly codes: readonly LockErrorCode[] = ['ERR_LOCK_PATH'];

  /** The unusable path (lock file, named-lock file or registry). */
  readonly path: string;
  /** Symbolic errno of the failed system call (e.g. `'ELOOP'`), or undefined when the check was ours (e.g. a FIFO). */
  readonly errno: string | undefined;

  constructor(path: string, message: string, errno?: string, cause?: unknown) {
    super('ERR_LOCK_PATH', message, cause === undefined ? undefined : { cause });
    this.path = path;
    this.errno = errno;
  }
}

/**
 * A system call failed in a way the library cannot recover from (`ERR_LOCK_SYSTEM`):
 * `ENOLCK` (kernel lock table full), `EBADF`, `EMFILE`, `EINVAL`, ... `errno` is the symbolic
 * name and `syscall` the call that failed.
 */
export class LockSystemError extends LockError {
  static override readonly codes: readonly LockErrorCode[] = ['ERR_LOCK_SYSTEM'];

  /** Symbolic errno, e.g. `'ENOLCK'`. */
  readonly errno: string;
  /** The system call that failed, e.g. `'fcntl(F_OFD_SETLKW)'`. */
  readonly syscall: string;

  constructor(syscall: string, errno: string, message: string) {
    super('ERR_LOCK_SYSTEM', `${syscall}: ${errno}: ${message}`);
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** This platform or kernel lacks what the library needs (`ERR_LOCK_UNSUPPORTED`). */
export class UnsupportedPlatformError extends SingleCodeError {
  static override readonly codes = ['ERR_LOCK_UNSUPPORTED'] as const;
}

/**
 * A named lock's file is in a state the protocol does not allow (`ERR_SHMLOCK_INCONSISTENT`):
 * wrong size, unreadable, not a regular file, or held by this instance without its uuid.
 * Reported by `ShmLock.queryForErrorAfterInterrupt()`.
 */
export class ShmLockInconsistentError extends SingleCodeError {
  static override readonly codes = ['ERR_SHMLOCK_INCONSISTENT'] as const;
}

/**
 * The session that held this owner's locks died (`ERR_LOCK_LOST`): server restart, network
 * cut, `pg_terminate_backend`. The server dropped every lock the session held; the owner
 * rejects every later call with this error until it is closed, and never reconnects on its own.
 */
export class LockLostError extends LockError {
  static override readonly codes: readonly LockErrorCode[] = ['ERR_LOCK_LOST'];

  constructor(message: string, cause?: unknown) {
    super('ERR_LOCK_LOST', message, cause === undefined ? undefined : { cause });
  }
}
