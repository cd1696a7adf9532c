/**
 * proper-lockfile: `mkdir <file>.lock` plus mtime refresh; waiting means retrying. Configured as
 * its users do for contention (`realpath: false`, retries), with the most aggressive retry
 * schedule it allows (every 1 ms, forever) so its contended figures are a best case; stale
 * time its default (10 s), and 2 s (its minimum) for the recovery workload.
 *
 * @packageDocumentation
 */
import { lock, lockSync, type LockOptions } from 'proper-lockfile';
import { checkWholeFile, type LockAdapter } from './types';

const ASYNC_OPTIONS = { realpath: false, retries: { forever: true, retries: 1, factor: 1, minTimeout: 1, maxTimeout: 1 } } as const;
const SYNC_OPTIONS = { realpath: false } as const;

/** The async adapter with `options` (each handle is its own lock owner). */
function asyncAdapter(id: string, options: LockOptions): LockAdapter {
  return {
    id,
    open(path) {
      const file = `${path}.pl`;
      let releaseFn: (() => Promise<void>) | undefined;
      return {
        mode: 'async',
        async acquire(index, _write, len) {
          checkWholeFile('proper-lockfile', index, len);
          releaseFn = await lock(file, options);
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
  };
}

/** The proper-lockfile adapters. The lock directory is `<path>.pl.lock`. */
export const properLockfileAdapters: readonly LockAdapter[] = [
  asyncAdapter('proper-lockfile', ASYNC_OPTIONS),
  // Its smallest stale time (it raises anything lower to 2 s): the fastest recovery after a holder dies.
  asyncAdapter('proper-lockfile-stale-2s', { ...ASYNC_OPTIONS, stale: 2000 }),
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
