/**
 * The raw baseline: koffi calling libc `fcntl` with OFD commands on pre-filled buffers. No
 * bookkeeping, no validation: the floor any fcntl-based library is measured against.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { EAGAIN, EINTR, F_OFD_SETLK, F_OFD_SETLKW, F_RDLCK, F_UNLCK, F_WRLCK, flockStruct, lastErrno, libcFcntl, setFlock } from './libc';
import type { AsyncHandle, LockAdapter, SyncHandle } from './types';

/** Opens (creating) a lock file read-write. */
export function openLockFile(path: string): number {
  return fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
}

/** A sync handle: F_OFD_SETLK, then F_OFD_SETLKW only when the lock is busy. */
export function openRawSync(path: string): SyncHandle & { readonly fd: number; setRange(type: number, start: number, len: number): void } {
  const { sync: fcntl } = libcFcntl();
  const fd = openLockFile(path);
  const lk = flockStruct(F_WRLCK, 0, 1);
  const un = flockStruct(F_UNLCK, 0, 1);
  let lkIndex = 0;
  let lkLen = 1;
  let lkType = F_WRLCK;
  let unIndex = 0;
  let unLen = 1;
  const set = (cmd: number, b: Buffer): void => {
    if (fcntl(fd, cmd, b) === 0) return;
    let e = lastErrno();
    if (cmd === F_OFD_SETLK && e === EAGAIN) {
      while (fcntl(fd, F_OFD_SETLKW, b) !== 0) {
        e = lastErrno();
        if (e !== EINTR) throw new Error(`F_OFD_SETLKW failed, errno ${e}`);
      }
      return;
    }
    throw new Error(`fcntl failed, errno ${e}`);
  };
  return {
    mode: 'sync',
    fd,
    acquire(index, write, len = 1) {
      const type = write ? F_WRLCK : F_RDLCK;
      if (index !== lkIndex || type !== lkType || len !== lkLen) {
        setFlock(lk, type, index, len);
        lkIndex = index;
        lkType = type;
        lkLen = len;
      }
      set(F_OFD_SETLK, lk);
    },
    release(index, len = 1) {
      if (index !== unIndex || len !== unLen) {
        setFlock(un, F_UNLCK, index, len);
        unIndex = index;
        unLen = len;
      }
      set(F_OFD_SETLK, un);
    },
    /** Locks or unlocks an arbitrary range (scale workload). */
    setRange(type, start, len) {
      set(F_OFD_SETLK, flockStruct(type, start, len));
    },
    close() {
      fs.closeSync(fd);
    },
  };
}

/** An async handle running F_OFD_SETLK on the libuv pool via koffi `.async` (uncontended only). */
export function openRawPool(path: string): AsyncHandle {
  const { async: fcntlAsync } = libcFcntl();
  const fd = openLockFile(path);
  const lk = flockStruct(F_WRLCK, 0, 1);
  const un = flockStruct(F_UNLCK, 0, 1);
  const call = (b: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      fcntlAsync(fd, F_OFD_SETLK, b, (err, res) => {
        if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err)));
        else if (res !== 0) reject(new Error('fcntl on the pool failed (lock busy?)'));
        else resolve();
      });
    });
  return {
    mode: 'async',
    acquire(index, write, len = 1) {
      setFlock(lk, write ? F_WRLCK : F_RDLCK, index, len);
      return call(lk);
    },
    release(index, len = 1) {
      setFlock(un, F_UNLCK, index, len);
      return call(un);
    },
    close() {
      fs.closeSync(fd);
    },
  };
}

/** The raw-fcntl adapters. */
export const rawAdapters: readonly LockAdapter[] = [
  { id: 'raw-fcntl', open: (p) => openRawSync(p) },
  { id: 'raw-fcntl-pool', open: (p) => openRawPool(p) },
];
