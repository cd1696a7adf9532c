/**
 * os-lock: POSIX record locks (F_SETLK/F_SETLKW) on byte ranges, on the libuv pool. POSIX locks
 * belong to the process, so two handles in one process do not exclude each other; every
 * workload uses one handle per process.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { lock, unlock } from 'os-lock';
import { openLockFile } from './raw-fcntl';
import type { LockAdapter } from './types';

/** The os-lock adapter. */
export const osLockAdapters: readonly LockAdapter[] = [
  {
    id: 'os-lock',
    open(path) {
      const fd = openLockFile(path);
      const ex = { exclusive: true };
      const sh = { exclusive: false };
      return {
        mode: 'async',
        acquire(index, write, len = 1) {
          return lock(fd, index, len, write ? ex : sh);
        },
        release(index, len = 1) {
          return unlock(fd, index, len);
        },
        close() {
          fs.closeSync(fd);
        },
      };
    },
  },
];
