/**
 * Worker side of the uncontended workload: one process, one handle, back-to-back
 * acquire/release pairs of lock 0, calibrated to a fixed time per repetition.
 *
 * @packageDocumentation
 */
import { loadAdapter } from '../adapters/registry';
import { notAcquired, type AsyncHandle, type LockHandle, type SyncHandle } from '../adapters/types';
import { nowNs, usBetween } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { serve } from './io';

function pairsSync(h: SyncHandle, n: number): number {
  const t0 = nowNs();
  for (let i = 0; i < n; i++) {
    if (h.acquire(0, true) === false) throw notAcquired('sync', 0);
    h.release(0);
  }
  return usBetween(t0, nowNs());
}

async function pairsAsync(h: AsyncHandle, n: number): Promise<number> {
  const t0 = nowNs();
  for (let i = 0; i < n; i++) {
    if ((await h.acquire(0, true)) === false) throw notAcquired('async', 0);
    const r = h.release(0);
    if (r !== undefined) await r;
  }
  return usBetween(t0, nowNs());
}

function pairs(h: LockHandle, n: number): Promise<number> {
  return h.mode === 'sync' ? Promise.resolve(pairsSync(h, n)) : pairsAsync(h, n);
}

/**
 * Serves `run` commands. The first (`cold`) calibrates: batches of doubling size for
 * `warmupMs`, reporting the µs per pair of that whole first stretch (JIT and page cache cold);
 * later ones run the calibrated pair count (`warmup`: a quarter of it) and report µs per pair.
 */
export async function uncontendedRole(cfg: Extract<WorkerConfig, { role: 'uncontended' }>): Promise<void> {
  const h = (await loadAdapter(cfg.impl)).open(cfg.lockPath);
  let count = 0;
  await serve(async (c) => {
    if (count === 0) {
      let n = 8;
      let spentUs = 0;
      let done = 0;
      while (spentUs < cfg.warmupMs * 1000) {
        spentUs += await pairs(h, n);
        done += n;
        n *= 2;
      }
      count = Math.max(20, Math.min(5_000_000, Math.round((cfg.repMs * 1000 * done) / spentUs)));
      return { usPerPair: spentUs / done, pairs: done };
    }
    const n = c.kind === 'warmup' ? Math.max(5, count >> 2) : count;
    return { usPerPair: (await pairs(h, n)) / n, pairs: n };
  });
  await h.close();
}
