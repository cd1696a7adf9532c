/**
 * proper-lockfile: `mkdir <file>.lock` plus mtime refresh; waiting means retrying. Configured as
 * its users do for contention (`realpath: false`, retries), with the most aggressive retry
 * schedule it allows (every 1 ms, forever) so its contended figures are a best case.
 *
 * @packageDocumentation
 */
import { lock, lockSync } from 'proper-lockfile';
import { checkWholeFile, type LockAdapter } from './types';

const ASYNC_OPTIONS = { realpath: false, retries: { forever: true, retries: 1, factor: 1, minTimeout: 1, maxTimeout: 1 } } as const;
const SYNC_OPTIONS = { realpath: false } as const;

/** The proper-lockfile adapters. The lock directory is `<path>.pl.lock`. */
export const properLockfileAdapters: readonly LockAdapter[] = [
  {
    id: 'proper-lockfile',
    open(path) {
      const file = `${path}.pl`;
      let releaseFn: (() => Promise<void>) | undefined;
      return {
        mode: 'async',
        async acquire(index, _write, len) {
          checkWholeFile('proper-lockfile', index, len);
          releaseFn = await lock(file, ASYNC_OPTIONS);
        },
        release() {
          const r = releaseFn;
          releaseFn = undefined;
          if (r === undefined) throw new Error('proper-lockfile: release without a lock');
          return r();
        },
        close() {
          /* nothing open */
        },
      };
    },
  },
  {
    id: 'proper-lockfile-sync',
    open(path) {
      const file = `${path}.pl`;
      let releaseFn: (() => void) | undefined;
      return {
        mode: 'sync',
        acquire(index, _write, len) {
          checkWholeFile('proper-lockfile', index, len);
          releaseFn = lockSync(file, SYNC_OPTIONS);
        },
        release() {
          const r = releaseFn;
          releaseFn = undefined;
          if (r === undefined) throw new Error('proper-lockfile: release without a lock');
          r();
        },
        close() {
          /* nothing open */
        },
      };
    },
  },
];
