/**
 * Worker side of the sporadic-contention workload: one contended acquire after a long idle
 * time. Worker 0 is the holder, worker 1 the waiter; the runner drives each round:
 * - `hold` (holder): take the lock;
 * - `wait` (waiter): stamp the call time into the state file, acquire (waits), stamp the grant,
 *   release, and report call, release (read from the state file) and grant times;
 * - `release` (holder, sent together with `wait`): poll for the waiter's call stamp, release
 *   `delayMs` after it, stamping the release time first.
 *
 * State file: waiter's call time i64 @0, holder's release time i64 @8.
 *
 * @packageDocumentation
 */
import { loadAdapter } from '../adapters/registry';
import { awaitable } from '../adapters/types';
import { nowNs, sleepSync, waitUntilNs } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNumber, serve } from './io';

const POLL_LIMIT_NS = 10_000_000_000n;

/** Serves the `hold`, `wait` and `release` steps of the sporadic workload. */
export async function sporadicRole(cfg: Extract<WorkerConfig, { role: 'sporadic' }>): Promise<void> {
  const lock = awaitable((await loadAdapter(cfg.impl)).open(cfg.lockPath), cfg.impl);
  const st = new StateFile(cfg.statePath);
  await serve(async (c) => {
    switch (c.step) {
      case 'hold':
        await lock.acquire(0, true);
        return {};
      case 'wait': {
        const call = nowNs();
        st.writeI64(0, call);
        await lock.acquire(0, true);
        const grant = nowNs();
        const release = st.readI64(8);
        await lock.release(0);
        return { callNs: String(call), releaseNs: String(release), grantNs: String(grant) };
      }
      case 'release': {
        const limit = nowNs() + POLL_LIMIT_NS;
        let call = st.readI64(0);
        while (call === 0n) {
          if (nowNs() > limit) throw new Error('the waiter never called acquire');
          sleepSync(0.05);
          call = st.readI64(0);
        }
        waitUntilNs(call + BigInt(Math.round(cmdNumber(c, 'delayMs') * 1e6)));
        st.writeI64(8, nowNs());
        await lock.release(0);
        return {};
      }
      default:
        throw new Error(`sporadic: unknown step ${String(c.step)}`);
    }
  });
}
