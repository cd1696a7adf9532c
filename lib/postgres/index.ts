/**
 * `locksfile/postgres`: the locks of locksfile on a PostgreSQL server, for processes on
 * several machines. `PgLocksFile` = the indexed read/write interval locks of `LocksFile`
 * (async only); `PgLockManager` = the Web Locks surface of the local `LockManager`. Needs the
 * optional peer dependency `pg` (node-postgres).
 *
 * @packageDocumentation
 */
export { PgLocksFile } from './pg-locks-file';
export type { PgLocksFileOptions } from './pg-locks-file';
export { PgLockManager } from './pg-lock-manager';
export type { PgLockManagerOptions } from './pg-lock-manager';
export type { PgConnection } from './session';
export type { HeldRange, Holder, LockHandle } from '../locks-file/locks-file';
export type { Lock, LockGrantedCallback, LockInfo, LockManagerLike, LockManagerSnapshot, LockMode, LockRequestOptions } from '../lock-manager/types';
export type { LockSpec, AcquireOptions } from '../args/spec';
export { LockLostError } from '../errors/errors';
