/**
 * Worker side of the many-waiters workload. Worker 0 is the holder, worker 1 the waiting
 * process; the runner drives the steps of one repetition with `n` locks:
 * - `hold` (holder): take locks 0..n-1;
 * - `pend` (waiter): with garbage collected, read RSS, start n acquires of those locks without
 *   awaiting them, let them settle `settleMs` (waiter threads start), read RSS again; then for `windowMs` measure the
 *   event-loop delay and back-to-back `fs.readFile` latency (a read still pending at the end of
 *   the window counts as the window's length: the pool is starved);
 * - `release` (holder): stamp the release time, release all n;
 * - `collect` (waiter): await every grant, report the first and last grant after the release,
 *   release all.
 * Indexed implementations take n indices of one file through one handle; whole-file ones n
 * files through n handles.
 *
 * State file: release time i64 @8.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNumber, serve } from './io';
import { openLocks, type Locks } from './locks';

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Serves the steps of the many-waiters workload. */
export async function manyWaitersRole(cfg: Extract<WorkerConfig, { role: 'many-waiters' }>): Promise<void> {
  const st = new StateFile(cfg.statePath);
  const probe = `${cfg.statePath}.probe`;
  fs.writeFileSync(probe, Buffer.alloc(4096, 1));
  let locks: Locks | null = null;
  let grants: Array<Promise<bigint>> = [];
  let n = 0;
  await serve(async (c) => {
    switch (c.step) {
      case 'hold': {
        n = cmdNumber(c, 'n');
        locks = await openLocks(cfg.impl, cfg.lockPath, n);
        for (let i = 0; i < n; i++) await locks.at(i).lock.acquire(locks.at(i).index, true);
        return {};
      }
      case 'pend': {
        n = cmdNumber(c, 'n');
        locks = await openLocks(cfg.impl, cfg.lockPath, n);
        collectGarbage();
        const rss0 = process.memoryUsage().rss;
        grants = [];
        for (let i = 0; i < n; i++) {
          const { lock, index } = locks.at(i);
          grants.push(lock.acquire(index, true).then(() => nowNs()));
        }
        await sleep(cmdNumber(c, 'settleMs'));
        collectGarbage();
        const rss1 = process.memoryUsage().rss;
        const windowNs = BigInt(Math.round(cmdNumber(c, 'windowMs') * 1e6));
        const loop = monitorEventLoopDelay({ resolution: 1 });
        loop.enable();
        const reads: number[] = [];
        const end = nowNs() + windowNs;
        while (nowNs() < end) {
          const t = nowNs();
          const done = await Promise.race([fs.promises.readFile(probe).then(() => true), sleep(Number(end - t) / 1e6 + 1).then(() => false)]);
          reads.push(Number((done ? nowNs() : end) - t) / 1e6);
          if (!done) break;
        }
        loop.disable();
        return { rssDelta: rss1 - rss0, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, reads };
      }
      case 'release': {
        st.writeI64(8, nowNs());
        for (let i = 0; i < n; i++) await locks!.at(i).lock.release(locks!.at(i).index);
        await locks!.close();
        return {};
      }
      case 'collect': {
        const times = await Promise.all(grants);
        const release = st.readI64(8);
        for (let i = 0; i < n; i++) await locks!.at(i).lock.release(locks!.at(i).index);
        await locks!.close();
        const first = times.reduce((a, b) => (b < a ? b : a));
        const last = times.reduce((a, b) => (b > a ? b : a));
        return { releaseNs: String(release), firstNs: String(first), lastNs: String(last) };
      }
      default:
        throw new Error(`many-waiters: unknown step ${String(c.step)}`);
    }
  });
}
