/**
 * locksfile: real locks between processes and worker threads on one machine, with no lock
 * server. `LocksFile` gives indexed read/write byte-range locks in one file; `ShmLock` a
 * named mutex compatible with Python's shmlock.
 *
 * @packageDocumentation
 */
export { LocksFile } from './locks-file/locks-file';
export type { HeldRange, Holder, LockHandle, LocksFileOptions } from './locks-file/locks-file';
export type { LockSpec, AcquireOptions } from './args/spec';
export type { Backend } from './sys/fcntl';
export { createLogger } from './logger';
export type { Logger, LogLevel } from './logger';
export {
  DeadlockError,
  InvalidArgumentError,
  LockAbortError,
  LockBusyError,
  LockCanceledError,
  LockClosedError,
  LockError,
  LockFileReplacedError,
  LockPathError,
  LockSystemError,
  LockTimeoutError,
  ShmLockInconsistentError,
  UnsupportedPlatformError,
} from './errors/errors';
export type { InvalidArgumentCode } from './errors/errors';
export { ShmLock } from './shm-lock/shm-lock';
export type { ShmLockHandle } from './shm-lock/shm-lock';
export type { ExitHandlerOptions, ShmLockOptions, ShmTimeout } from './shm-lock/options';
export { ExitEvent } from './process-hooks/exit-event';
export { waiterPool } from './wait/pool';
export type { WaiterPoolView } from './wait/pool';
