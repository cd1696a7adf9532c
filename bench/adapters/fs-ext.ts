/**
 * fs-ext: flock(2) on a whole file. Four usages, because users write all of them:
 * - `fs-ext-sync`: `flockSync` for lock and unlock (blocks the thread while it waits);
 * - `fs-ext-async`: the naive async form, `flock(fd, 'ex', cb)` and `flock(fd, 'un', cb)`, both
 *   through the libuv pool (a pool round trip even when nobody holds the lock);
 * - `fs-ext-well`: fs-ext used well, the same fast-path design as ours: try
 *   `flockSync(fd, 'exnb')` on the calling thread, only when it is busy `await flock(fd, 'ex')`
 *   on the pool, unlock with `flockSync(fd, 'un')` (a non-blocking call, no pool hop);
 * - `fs-ext-per-use`: `fs-ext-well` plus `open` before and `close` after every use (what a
 *   path-based API does).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { flock, flockSync } from 'fs-ext';
import { openLockFile } from './raw-fcntl';
import { checkWholeFile, type AsyncHandle, type LockAdapter, type SyncHandle } from './types';

function flockAsync(fd: number, flag: 'ex' | 'sh' | 'un'): Promise<void> {
  return new Promise((resolve, reject) => {
    flock(fd, flag, (err) => (err ? reject(err) : resolve()));
  });
}

/** Whether `e` is flock's "would block" answer to a non-blocking request. */
function wouldBlock(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/** Try on the calling thread; only when busy, wait on the libuv pool. */
function flockWell(fd: number, write: boolean): Promise<void> {
  try {
    flockSync(fd, write ? 'exnb' : 'shnb');
    return Promise.resolve();
  } catch (e) {
    if (!wouldBlock(e)) return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  return flockAsync(fd, write ? 'ex' : 'sh');
}

/** The `fs-ext-per-use` handle: open, lock, and on release unlock and close. */
function perUse(path: string): AsyncHandle {
  let fd = -1;
  return {
    mode: 'async',
    async acquire(index, write, len) {
      checkWholeFile('fs-ext', index, len);
      fd = openLockFile(path);
      await flockWell(fd, write);
    },
    release() {
      flockSync(fd, 'un');
      fs.closeSync(fd);
      fd = -1;
    },
    close() {
      if (fd >= 0) fs.closeSync(fd);
    },
  };
}

/** A sync handle on its own descriptor of `path`: `lock` takes the whole file, `flockSync(fd, 'un')` releases. */
function syncOnFd(path: string, lock: (fd: number, write: boolean) => void): SyncHandle {
  const fd = openLockFile(path);
  return {
    mode: 'sync',
    acquire(index, write, len) {
      checkWholeFile('fs-ext', index, len);
      lock(fd, write);
    },
    release: () => flockSync(fd, 'un'),
    close: () => fs.closeSync(fd),
  };
}

/** An async handle on its own descriptor of `path` with the given lock and unlock calls. */
function asyncOnFd(path: string, lock: (fd: number, write: boolean) => Promise<void>, unlock: (fd: number) => Promise<void> | void): AsyncHandle {
  const fd = openLockFile(path);
  return {
    mode: 'async',
    acquire(index, write, len) {
      checkWholeFile('fs-ext', index, len);
      return lock(fd, write);
    },
    release: () => unlock(fd),
    close: () => fs.closeSync(fd),
  };
}

/** The fs-ext adapters (one open file description per handle). */
export const fsExtAdapters: readonly LockAdapter[] = [
  { id: 'fs-ext-sync', open: (path) => syncOnFd(path, (fd, write) => flockSync(fd, write ? 'ex' : 'sh')) },
  {
    id: 'fs-ext-async',
    open: (path) =>
      asyncOnFd(
        path,
        (fd, write) => flockAsync(fd, write ? 'ex' : 'sh'),
        (fd) => flockAsync(fd, 'un'),
      ),
  },
  { id: 'fs-ext-well', open: (path) => asyncOnFd(path, flockWell, (fd) => flockSync(fd, 'un')) },
  { id: 'fs-ext-per-use', open: perUse },
];
