/**
 * fs-ext: flock(2) on a whole file, sync (`flockSync`) or on the libuv pool (`flock`).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { flock, flockSync } from 'fs-ext';
import { openLockFile } from './raw-fcntl';
import { checkWholeFile, type LockAdapter } from './types';

function flockAsync(fd: number, flag: 'ex' | 'sh' | 'un'): Promise<void> {
  return new Promise((resolve, reject) => {
    flock(fd, flag, (err) => (err ? reject(err) : resolve()));
  });
}

/** The fs-ext adapters (one open file description per handle). */
export const fsExtAdapters: readonly LockAdapter[] = [
  {
    id: 'fs-ext-sync',
    open(path) {
      const fd = openLockFile(path);
      return {
        mode: 'sync',
        acquire(index, write) {
          checkWholeFile('fs-ext', index);
          flockSync(fd, write ? 'ex' : 'sh');
        },
        release() {
          flockSync(fd, 'un');
        },
        close() {
          fs.closeSync(fd);
        },
      };
    },
  },
  {
    id: 'fs-ext-async',
    open(path) {
      const fd = openLockFile(path);
      return {
        mode: 'async',
        acquire(index, write) {
          checkWholeFile('fs-ext', index);
          return flockAsync(fd, write ? 'ex' : 'sh');
        },
        release() {
          return flockAsync(fd, 'un');
        },
        close() {
          fs.closeSync(fd);
        },
      };
    },
  },
];
