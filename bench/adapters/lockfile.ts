/**
 * lockfile (npm): `open(O_CREAT|O_EXCL)` of the lock path; waiting means polling. Configured to
 * poll every 1 ms (the finest its timer allows) so its contended figures are a best case.
 *
 * @packageDocumentation
 */
import { lock, lockSync, unlock, unlockSync, type Options } from 'lockfile';
import { checkWholeFile, type LockAdapter } from './types';

/** Longest wait we ever allow (the workload's hard timeout fires first). */
const WAIT_MS = 10 * 60 * 1000;

/** The async adapter with `options` added to `{ wait, pollPeriod: 1 }`. */
function asyncAdapter(id: string, options: Options): LockAdapter {
  return {
    id,
    open(path) {
      const file = `${path}.lf`;
      return {
        mode: 'async',
        acquire(index, _write, len) {
          checkWholeFile('lockfile', index, len);
          return new Promise<void>((resolve, reject) => {
            lock(file, { wait: WAIT_MS, pollPeriod: 1, ...options }, (err) => (err ? reject(err) : resolve()));
          });
        },
        release() {
          return new Promise<void>((resolve, reject) => {
            unlock(file, (err) => (err ? reject(err) : resolve()));
          });
        },
        close() {
          /* nothing open */
        },
      };
    },
  };
}

/** The lockfile adapters. The lock file is `<path>.lf`. */
export const lockfileAdapters: readonly LockAdapter[] = [
  asyncAdapter('lockfile', {}),
  // lockfile has no stale time by default (a dead holder's file stays forever); 2 s for the recovery workload.
  asyncAdapter('lockfile-stale-2s', { stale: 2000 }),
  {
    id: 'lockfile-sync',
    open(path) {
      const file = `${path}.lf`;
      return {
        mode: 'sync',
        acquire(index, _write, len) {
          checkWholeFile('lockfile', index, len);
          lockSync(file);
        },
        release() {
          unlockSync(file);
        },
        close() {
          /* nothing open */
        },
      };
    },
  },
];
