/**
 * The one error hierarchy of locksfile. Every error the library throws or rejects with is a
 * {@link LockError} carrying a stable string `code`, so callers can branch on `err.code`
 * instead of parsing messages.
 *
 * @packageDocumentation
 */

/** Base class of every error thrown by locksfile; `code` is stable across releases. */
export class LockError extends Error {
  /** Stable machine-readable identifier, e.g. `'ERR_LOCK_TIMEOUT'`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
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
  declare readonly code: InvalidArgumentCode;
  /** Name of the offending argument or option, e.g. `'options.timeout'`. */
  readonly argument: string;

  constructor(code: InvalidArgumentCode, argument: string, message: string) {
    super(code, `${argument}: ${message}`);
    this.argument = argument;
  }
}

/** `lock()`/`lockSync()` could not acquire within `timeout` ms (`ERR_LOCK_TIMEOUT`). */
export class LockTimeoutError extends LockError {
  constructor(message: string) {
    super('ERR_LOCK_TIMEOUT', message);
  }
}

/** `lock()`/`lockSync()` with `blocking: false` found the range held by another owner (`ERR_LOCK_BUSY`). */
export class LockBusyError extends LockError {
  constructor(message: string) {
    super('ERR_LOCK_BUSY', message);
  }
}

/** The instance was closed before or while the call ran (`ERR_LOCK_CLOSED`). */
export class LockClosedError extends LockError {
  constructor(message: string) {
    super('ERR_LOCK_CLOSED', message);
  }
}

/**
 * A pending acquire was abandoned because the same instance released an overlapping range
 * while it waited (`ERR_LOCK_CANCELED`). Nothing of the abandoned request stays held.
 */
export class LockCanceledError extends LockError {
  constructor(message: string) {
    super('ERR_LOCK_CANCELED', message);
  }
}

/**
 * The wait was aborted through an `AbortSignal`. Like the DOM's `AbortError`, its `name` is
 * `'AbortError'`; `code` is Node's `'ABORT_ERR'` and `cause` is the signal's reason.
 */
export class LockAbortError extends LockError {
  constructor(message: string, reason: unknown) {
    super('ABORT_ERR', message, { cause: reason });
    this.name = 'AbortError';
  }
}

/** The kernel reported a deadlock (`EDEADLK`, POSIX backend only) (`ERR_LOCK_DEADLOCK`). */
export class DeadlockError extends LockError {
  constructor(message: string) {
    super('ERR_LOCK_DEADLOCK', message);
  }
}

/**
 * The lock file at `path` was deleted or replaced while this instance held locks on the old
 * file (`ERR_LOCK_FILE_REPLACED`). The old locks no longer exclude anyone who opens `path`.
 */
export class LockFileReplacedError extends LockError {
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
  readonly path: string;
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
  readonly errno: string;
  readonly syscall: string;

  constructor(syscall: string, errno: string, message: string) {
    super('ERR_LOCK_SYSTEM', `${syscall}: ${errno}: ${message}`);
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** This platform or kernel lacks what the library needs (`ERR_LOCK_UNSUPPORTED`). */
export class UnsupportedPlatformError extends LockError {
  constructor(message: string) {
    super('ERR_LOCK_UNSUPPORTED', message);
  }
}

/**
 * A named lock's file is in a state the protocol does not allow (`ERR_SHMLOCK_INCONSISTENT`):
 * wrong size, unreadable, not a regular file, or held by this instance without its uuid.
 * Reported by `ShmLock.queryForErrorAfterInterrupt()`.
 */
export class ShmLockInconsistentError extends LockError {
  constructor(message: string) {
    super('ERR_SHMLOCK_INCONSISTENT', message);
  }
}

/**
 * The session that held this owner's locks died (`ERR_LOCK_LOST`): server restart, network
 * cut, `pg_terminate_backend`. The server dropped every lock the session held; the owner
 * rejects every later call with this error until it is closed, and never reconnects on its own.
 */
export class LockLostError extends LockError {
  constructor(message: string, cause?: unknown) {
    super('ERR_LOCK_LOST', message, cause === undefined ? undefined : { cause });
  }
}
