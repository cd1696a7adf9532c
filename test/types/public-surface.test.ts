/**
 * Type tests of the public surface: every export of `locksfile` and the one vocabulary its
 * facades share (`lock` resolves a disposable handle whose `release()` returns void,
 * `withLock` takes the callback last, facades are disposable, timeouts are numbers of ms).
 *
 * The checks are compile-time: `npm run build` type-checks this file (test/types/tsconfig.json),
 * so a changed signature fails the build; each `@ts-expect-error` line is a call that must NOT
 * compile. The functions holding them are never called. At run time the test pins the set of
 * value exports.
 */
import { expectTypeOf } from 'expect-type';
import * as api from 'locksfile';
import { createLogger, ExitEvent, LockManager, locks, LocksFile, ShmLock, waiterPool } from 'locksfile';
import type {
  AcquireOptions,
  Backend,
  ExitHandlerOptions,
  HeldRange,
  Holder,
  InvalidArgumentCode,
  Lock,
  LockErrorCode,
  LockGrantedCallback,
  LockHandle,
  LockInfo,
  LockManagerHandle,
  LockManagerLike,
  LockManagerLockOptions,
  LockManagerOptions,
  LockManagerSnapshot,
  LockMode,
  LockRequestOptions,
  LockRequestSyncOptions,
  LockSpec,
  LocksFileOptions,
  Logger,
  LogLevel,
  ShmLockHandle,
  ShmLockOptions,
  ShmLockRequest,
  ShmTimeout,
  WaiterPoolView,
} from 'locksfile';

/** What every facade's `lock()` resolves to: a handle with a void, idempotent `release()`. */
type SharedHandle = { release(): void } & Disposable & AsyncDisposable;
/** What every facade is: closable and disposable both ways. */
type SharedFacade = { close(): void } & Disposable & AsyncDisposable;
type Fn<T> = () => T | PromiseLike<T>;
/** A handle's exact shape: its own read-only fields, then the shared release and disposal. */
type HandleOf<Fields> = Fields & { release(): void; [Symbol.dispose](): void; [Symbol.asyncDispose](): Promise<void> };

/** The shared vocabulary, checked the same way for each facade. */
export function vocabulary(lf: LocksFile, shm: ShmLock, manager: LockManager): void {
  expectTypeOf(lf).toExtend<SharedFacade>();
  expectTypeOf(shm).toExtend<SharedFacade>();
  expectTypeOf(manager).toExtend<SharedFacade>();
  expectTypeOf(manager).toExtend<LockManagerLike>();

  expectTypeOf<LocksFile['lock']>().returns.resolves.toEqualTypeOf<LockHandle>();
  expectTypeOf<ShmLock['lock']>().returns.resolves.toEqualTypeOf<ShmLockHandle>();
  expectTypeOf<LockManager['lock']>().returns.resolves.toEqualTypeOf<LockManagerHandle>();
  expectTypeOf<LockManagerHandle>().toExtend<SharedHandle>();
  expectTypeOf<LockManagerHandle['release']>().returns.toEqualTypeOf<void>();
  expectTypeOf<LockHandle>().toExtend<SharedHandle>();
  expectTypeOf<ShmLockHandle>().toExtend<SharedHandle>();
  expectTypeOf<LockHandle['release']>().returns.toEqualTypeOf<void>();
  expectTypeOf<ShmLockHandle['release']>().returns.toEqualTypeOf<void>();
  expectTypeOf<LocksFile['lockSync']>().returns.toEqualTypeOf<LockHandle>();
  expectTypeOf<ShmLock['lockSync']>().returns.toEqualTypeOf<ShmLockHandle>();

  // Timeouts are plain numbers of milliseconds in every facade.
  expectTypeOf<AcquireOptions['timeout']>().toEqualTypeOf<number | undefined>();
  expectTypeOf<ShmLockRequest['timeout']>().toEqualTypeOf<number | undefined>();
  expectTypeOf<LockRequestSyncOptions['timeout']>().toEqualTypeOf<number | undefined>();
  expectTypeOf<AcquireOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
  expectTypeOf<ShmLockRequest['signal']>().toEqualTypeOf<AbortSignal | undefined>();
  expectTypeOf<AcquireOptions['blocking']>().toEqualTypeOf<boolean | undefined>();
  expectTypeOf<ShmLockRequest['blocking']>().toEqualTypeOf<boolean | undefined>();

  // withLock: callback last, result is the callback's (awaited).
  expectTypeOf(lf.withLock(() => 1)).toEqualTypeOf<Promise<number>>();
  expectTypeOf(lf.withLock(5, () => Promise.resolve('x'))).toEqualTypeOf<Promise<string>>();
  expectTypeOf(lf.withLock([0, 4], { write: true, timeout: 10 }, () => true)).toEqualTypeOf<Promise<boolean>>();
  expectTypeOf(shm.withLock(() => 1)).toEqualTypeOf<Promise<number>>();
  expectTypeOf(shm.withLock({ timeout: 5 }, () => Promise.resolve('x'))).toEqualTypeOf<Promise<string>>();
  expectTypeOf(manager.withLock('n', () => 1)).toEqualTypeOf<Promise<number>>();
  expectTypeOf(manager.withLock('n', { mode: 'shared', timeout: 5 }, () => Promise.resolve('x'))).toEqualTypeOf<Promise<string>>();
  expectTypeOf<LockManagerLockOptions['timeout']>().toEqualTypeOf<number | undefined>();
  expectTypeOf<LockManagerLockOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
  expectTypeOf<LockManagerLockOptions['blocking']>().toEqualTypeOf<boolean | undefined>();
  expectTypeOf(manager.request('n', () => Promise.resolve(1))).toEqualTypeOf<Promise<number>>();
  expectTypeOf(manager.request('n', { mode: 'shared' }, (lock) => lock?.mode)).toEqualTypeOf<Promise<LockMode | undefined>>();
  expectTypeOf(manager.requestSync('n', { timeout: 0 }, () => 1)).toEqualTypeOf<number>();
}

/** Calls that must not compile. */
export function refused(lf: LocksFile, shm: ShmLock, manager: LockManager, h: LockHandle, sh: ShmLockHandle, fn: Fn<number>): void {
  // @ts-expect-error the callback must be last (the old ShmLock shape withLock(fn, options))
  void shm.withLock(fn, { timeout: 5 });
  // @ts-expect-error the callback must be last
  void lf.withLock(fn, 5);
  // @ts-expect-error the callback must be last
  void lf.withLock(5, fn, { write: true });
  // @ts-expect-error withLock needs a callback
  void lf.withLock(5, { write: true });
  // @ts-expect-error the callback must be last (Web Locks)
  void manager.request('n', fn, { mode: 'shared' });
  // @ts-expect-error the callback must be last
  void manager.withLock('n', fn, { mode: 'shared' });
  // @ts-expect-error Web Locks modes are 'exclusive' and 'shared'
  void manager.lock('n', { mode: 'write' });
  // @ts-expect-error lock() takes no steal: a handle must not be taken away silently
  void manager.lock('n', { steal: true });
  // @ts-expect-error a lock spec is an index, [start, count] or { start, count }, not a string
  void lf.lock('5');
  // @ts-expect-error write is a boolean
  void lf.lock(5, { write: 'yes' });
  // @ts-expect-error timeouts are numbers of milliseconds
  void lf.lock(5, { timeout: '1s' });
  // @ts-expect-error Web Locks modes are 'exclusive' and 'shared'
  void manager.request('n', { mode: 'write' }, fn);
  // @ts-expect-error sync calls take no signal
  lf.lockSync(0, { signal: AbortSignal.abort() });
  // @ts-expect-error sync calls take no signal
  shm.lockSync({ signal: AbortSignal.abort() });
  // @ts-expect-error requestSync takes no signal
  manager.requestSync('n', { signal: AbortSignal.abort() }, () => 1);
  // @ts-expect-error a handle's release() returns nothing
  const released: boolean = h.release();
  // @ts-expect-error a handle's release() returns nothing
  const shmReleased: boolean = sh.release();
  // @ts-expect-error handle fields are read-only
  h.start = 1;
  // @ts-expect-error ShmLock.lock() takes options, not shmlock's timeout shorthand
  void shm.lock(5000);
  // @ts-expect-error a log level is one of the LogLevel names
  createLogger('x', 'verbose');
  // @ts-expect-error the pool view is read-only
  waiterPool.threads = 1;
  void released;
  void shmReleased;
}

export function locksFileSurface(lf: LocksFile, spec: LockSpec): void {
  expectTypeOf(LocksFile).constructorParameters.toEqualTypeOf<[path?: string, options?: LocksFileOptions]>();
  expectTypeOf<LocksFileOptions>().toEqualTypeOf<{
    readonly id?: string;
    readonly logger?: Logger;
    readonly verbose?: boolean;
    readonly backend?: Backend;
    readonly fair?: boolean;
  }>();
  expectTypeOf<Backend>().toEqualTypeOf<'ofd' | 'posix'>();
  expectTypeOf(lf.path).toEqualTypeOf<string>();
  expectTypeOf(lf.id).toEqualTypeOf<string>();
  expectTypeOf(lf.backend).toEqualTypeOf<Backend>();
  expectTypeOf(lf.fair).toEqualTypeOf<boolean>();
  expectTypeOf(lf.closed).toEqualTypeOf<boolean>();
  expectTypeOf(lf.acquireSync(spec, { write: true, blocking: false, timeout: 0 })).toEqualTypeOf<boolean>();
  expectTypeOf(lf.acquire(spec, { signal: AbortSignal.timeout(1) })).toEqualTypeOf<Promise<boolean>>();
  expectTypeOf<LocksFile['release']>().parameters.toEqualTypeOf<[spec?: LockSpec]>();
  expectTypeOf<LocksFile['release']>().returns.toEqualTypeOf<void>();
  expectTypeOf(lf.held()).toEqualTypeOf<HeldRange[]>();
  expectTypeOf(lf.probe(spec, { write: true })).toEqualTypeOf<Holder | null>();
  expectTypeOf<HeldRange>().toEqualTypeOf<{ readonly start: number; readonly count: number; readonly write: boolean }>();
  expectTypeOf<Holder>().toEqualTypeOf<{ readonly start: number; readonly count: number; readonly write: boolean; readonly pid: number }>();
  expectTypeOf<LockHandle>().branded.toEqualTypeOf<HandleOf<{ readonly start: number; readonly count: number; readonly write: boolean }>>();
  expectTypeOf<LockSpec>().toEqualTypeOf<number | readonly [start: number, count: number] | { readonly start: number; readonly count: number }>();
  expectTypeOf<AcquireOptions>().toEqualTypeOf<{
    readonly write?: boolean;
    readonly blocking?: boolean;
    readonly timeout?: number;
    readonly signal?: AbortSignal;
  }>();
}

export function shmLockSurface(shm: ShmLock, timeout: ShmTimeout): void {
  expectTypeOf(ShmLock).constructorParameters.toEqualTypeOf<[name: string, options?: ShmLockOptions]>();
  expectTypeOf<ShmTimeout>().toEqualTypeOf<number | boolean | null | undefined>();
  expectTypeOf<ShmLockOptions>().toEqualTypeOf<{
    readonly pollInterval?: number;
    readonly logger?: Logger;
    readonly exitEvent?: ExitEvent | AbortSignal;
    readonly dir?: string;
    readonly description?: string;
    readonly fair?: boolean;
  }>();
  expectTypeOf(shm.fair).toEqualTypeOf<boolean>();
  expectTypeOf<ShmLockRequest>().toEqualTypeOf<{ readonly timeout?: number; readonly blocking?: boolean; readonly signal?: AbortSignal }>();
  expectTypeOf<ShmLockHandle>().branded.toEqualTypeOf<HandleOf<{ readonly name: string }>>();
  // shmlock's own names, kept for ported Python code: boolean results, shmlock's timeout.
  expectTypeOf(shm.acquire(timeout)).toEqualTypeOf<Promise<boolean>>();
  expectTypeOf(shm.acquireSync(timeout)).toEqualTypeOf<boolean>();
  expectTypeOf<ShmLock['release']>().parameters.toEqualTypeOf<[force?: boolean]>();
  expectTypeOf<ShmLock['release']>().returns.toEqualTypeOf<boolean>();
  expectTypeOf(shm.uuid).toEqualTypeOf<string>();
  expectTypeOf(shm.acquired).toEqualTypeOf<boolean>();
  expectTypeOf(shm.name).toEqualTypeOf<string>();
  expectTypeOf(shm.path).toEqualTypeOf<string>();
  expectTypeOf(shm.pollInterval).toEqualTypeOf<number>();
  expectTypeOf(shm.description).toEqualTypeOf<string>();
  expectTypeOf(shm.getExitEvent()).toEqualTypeOf<ExitEvent>();
  expectTypeOf<ShmLock['addExitHandlers']>().parameters.toEqualTypeOf<[options?: ExitHandlerOptions]>();
  expectTypeOf<ExitHandlerOptions>().toEqualTypeOf<{ readonly exit?: boolean; readonly signals?: boolean; readonly finalization?: boolean }>();
  expectTypeOf(shm.debugGetUuidOfLockingLock()).toEqualTypeOf<string | null>();
  expectTypeOf(shm.queryForErrorAfterInterrupt()).toEqualTypeOf<undefined>();

  expectTypeOf(ExitEvent).constructorParameters.toEqualTypeOf<[trigger?: AbortSignal]>();
  expectTypeOf<ExitEvent>().toExtend<Disposable>();
  expectTypeOf<ExitEvent['isSet']>().returns.toEqualTypeOf<boolean>();
  expectTypeOf<ExitEvent['signal']>().toEqualTypeOf<AbortSignal>();
}

export function lockManagerSurface(manager: LockManager): void {
  expectTypeOf(LockManager).constructorParameters.toEqualTypeOf<[options?: LockManagerOptions]>();
  expectTypeOf<LockManagerOptions>().toEqualTypeOf<{ readonly path?: string; readonly clientId?: string }>();
  expectTypeOf(locks).toEqualTypeOf<LockManager>();
  expectTypeOf(manager.clientId).toEqualTypeOf<string>();
  expectTypeOf(manager.path).toEqualTypeOf<string>();
  expectTypeOf(manager.query()).toEqualTypeOf<Promise<LockManagerSnapshot>>();
  expectTypeOf<LockMode>().toEqualTypeOf<'exclusive' | 'shared'>();
  expectTypeOf<Lock>().toEqualTypeOf<{ readonly name: string; readonly mode: LockMode }>();
  expectTypeOf<LockInfo>().toEqualTypeOf<{ readonly name: string; readonly mode: LockMode; readonly clientId: string }>();
  expectTypeOf<LockManagerSnapshot>().toEqualTypeOf<{ readonly held: LockInfo[]; readonly pending: LockInfo[] }>();
  expectTypeOf<LockRequestOptions>().toEqualTypeOf<{
    readonly mode?: LockMode;
    readonly ifAvailable?: boolean;
    readonly steal?: boolean;
    readonly signal?: AbortSignal;
  }>();
  expectTypeOf<LockRequestSyncOptions>().toEqualTypeOf<{
    readonly mode?: LockMode;
    readonly ifAvailable?: boolean;
    readonly steal?: boolean;
    readonly timeout?: number;
  }>();
  expectTypeOf<LockManagerHandle>().branded.toEqualTypeOf<HandleOf<{ readonly name: string; readonly mode: LockMode }>>();
  expectTypeOf<LockManagerLockOptions>().toEqualTypeOf<{
    readonly mode?: LockMode;
    readonly timeout?: number;
    readonly blocking?: boolean;
    readonly signal?: AbortSignal;
  }>();
  expectTypeOf<LockGrantedCallback<number>>().toEqualTypeOf<(lock: Lock | null) => number | PromiseLike<number>>();
}

export function errorsSurface(): void {
  expectTypeOf<LockErrorCode>().toEqualTypeOf<
    | 'ERR_INVALID_ARG_TYPE'
    | 'ERR_INVALID_ARG_VALUE'
    | 'ERR_OUT_OF_RANGE'
    | 'ERR_LOCK_TIMEOUT'
    | 'ERR_LOCK_BUSY'
    | 'ERR_LOCK_CLOSED'
    | 'ERR_LOCK_CANCELED'
    | 'ABORT_ERR'
    | 'ERR_LOCK_DEADLOCK'
    | 'ERR_LOCK_FILE_REPLACED'
    | 'ERR_LOCK_PATH'
    | 'ERR_LOCK_SYSTEM'
    | 'ERR_LOCK_UNSUPPORTED'
    | 'ERR_SHMLOCK_INCONSISTENT'
    | 'ERR_LOCK_LOST'
  >();
  expectTypeOf<InvalidArgumentCode>().toEqualTypeOf<'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE'>();
  expectTypeOf<api.LockError>().toExtend<Error>();
  expectTypeOf<api.LockError['code']>().toEqualTypeOf<LockErrorCode>();
  expectTypeOf(api.LockError.codes).toEqualTypeOf<readonly LockErrorCode[]>();
  expectTypeOf<api.InvalidArgumentError['code']>().toEqualTypeOf<InvalidArgumentCode>();
  expectTypeOf<api.InvalidArgumentError['argument']>().toEqualTypeOf<string>();
  for (const Class of [
    api.InvalidArgumentError,
    api.LockTimeoutError,
    api.LockBusyError,
    api.LockClosedError,
    api.LockCanceledError,
    api.LockAbortError,
    api.DeadlockError,
    api.LockFileReplacedError,
    api.LockPathError,
    api.LockSystemError,
    api.UnsupportedPlatformError,
    api.ShmLockInconsistentError,
    api.LockLostError,
  ]) {
    expectTypeOf(Class.prototype).toExtend<api.LockError>();
  }
  expectTypeOf(api.LockTimeoutError).constructorParameters.toEqualTypeOf<[message: string]>();
  expectTypeOf(api.LockAbortError).constructorParameters.toEqualTypeOf<[message: string, reason: unknown]>();
  expectTypeOf<api.LockPathError['errno']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<api.LockSystemError['errno']>().toEqualTypeOf<string>();
  expectTypeOf<api.LockSystemError['syscall']>().toEqualTypeOf<string>();
  expectTypeOf<api.LockFileReplacedError['path']>().toEqualTypeOf<string>();
}

export function utilitySurface(): void {
  expectTypeOf(createLogger).parameters.toEqualTypeOf<[name: string, level?: LogLevel]>();
  expectTypeOf(createLogger).returns.toEqualTypeOf<Logger>();
  expectTypeOf<LogLevel>().toEqualTypeOf<'debug' | 'info' | 'warn' | 'error' | 'silent'>();
  expectTypeOf<Logger>().toEqualTypeOf<{
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }>();
  expectTypeOf(waiterPool).toEqualTypeOf<WaiterPoolView>();
  expectTypeOf(waiterPool.threads).toEqualTypeOf<number>();
  expectTypeOf(waiterPool.waiting).toEqualTypeOf<number>();
  expectTypeOf(waiterPool.queued).toEqualTypeOf<number>();
  expectTypeOf(waiterPool.onIdle()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(waiterPool.trim()).toEqualTypeOf<Promise<void>>();
}

test('the value exports of locksfile are exactly the documented ones', () => {
  expect(Object.keys(api).sort()).toEqual(
    [
      'DeadlockError',
      'ExitEvent',
      'InvalidArgumentError',
      'LockAbortError',
      'LockBusyError',
      'LockCanceledError',
      'LockClosedError',
      'LockError',
      'LockFileReplacedError',
      'LockLostError',
      'LockManager',
      'LockPathError',
      'LockSystemError',
      'LockTimeoutError',
      'LocksFile',
      'ShmLock',
      'ShmLockInconsistentError',
      'UnsupportedPlatformError',
      'createLogger',
      'locks',
      'waiterPool',
    ].sort(),
  );
  expect(locks).toBeInstanceOf(LockManager);
});
