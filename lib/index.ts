/**
 * locksfile: real locks between processes and worker threads on one machine, with no lock
 * server. `LocksFile` gives indexed read/write byte-range locks in one file; `ShmLock` a
 * named mutex compatible with Python's shmlock; `LockManager` (and the default `locks`) the
 * W3C Web Locks API across processes. All three share one vocabulary: `lock()` resolves a
 * disposable handle, `withLock(target?, options?, fn)` takes the callback last, failures
 * reject with a `LockError` subclass, and timeouts are milliseconds.
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
  LockLostError,
  LockPathError,
  LockSystemError,
  LockTimeoutError,
  ShmLockInconsistentError,
  UnsupportedPlatformError,
} from './errors/errors';
export type { InvalidArgumentCode, LockErrorCode } from './errors/errors';
export { ShmLock } from './shm-lock/shm-lock';
export type { ShmLockHandle } from './shm-lock/shm-lock';
export type { ExitHandlerOptions, ShmLockOptions, ShmLockRequest, ShmTimeout } from './shm-lock/options';
export { ExitEvent } from './process-hooks/exit-event';
export { waiterPool } from './process-hooks/thread-state';
export type { WaiterPoolView } from './wait/pool';
export { LockManager, locks } from './lock-manager/lock-manager';
export type { LockManagerOptions, LockRequestSyncOptions } from './lock-manager/lock-manager';
export type { LockManagerHandle, LockManagerLockOptions } from './lock-manager/lock-handle';
export type { Lock, LockGrantedCallback, LockInfo, LockManagerLike, LockManagerSnapshot, LockMode, LockRequestOptions } from './lock-manager/types';
