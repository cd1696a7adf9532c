/**
 * cross-process-lock (npm): `lock(file)` writes `<file>.lock` with the owner's pid and time
 * (after an `existsSync` check, so it is not atomic) and retries every 500 ms while another
 * process's metadata is there; `unlock()` deletes it. Path-based: every use opens and writes a
 * file. Used only where one process is alone (per-use cost): its check-then-write does not
 * exclude reliably and its 500 ms retry makes contended figures meaningless.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { lock } from 'cross-process-lock';
import { checkWholeFile, type LockAdapter } from './types';

/** The cross-process-lock adapter. The locked file is `<path>.cpl` (it must exist). */
export const crossProcessLockAdapters: readonly LockAdapter[] = [
  {
    id: 'cross-process-lock',
    open(path) {
      const file = `${path}.cpl`;
      fs.closeSync(fs.openSync(file, 'a'));
      let unlockFn: (() => Promise<unknown>) | undefined;
      return {
        mode: 'async',
        async acquire(index, _write, len) {
          checkWholeFile('cross-process-lock', index, len);
          unlockFn = await lock(file, { waitTimeout: 600_000 });
        },
        async release() {
          const u = unlockFn;
          unlockFn = undefined;
          if (u === undefined) throw new Error('cross-process-lock: release without a lock');
          await u();
        },
        close() {
          /* nothing open */
        },
      };
    },
  },
];
