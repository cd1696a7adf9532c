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
import { send } from './io';

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

/** Runs the uncontended measurement and reports `{ usPerPair: [...], pairs, total }`. */
export async function uncontendedRole(cfg: Extract<WorkerConfig, { role: 'uncontended' }>): Promise<void> {
  const h = (await loadAdapter(cfg.impl)).open(cfg.lockPath);
  send('ready');
  // Warm up (JIT, page cache) and calibrate the pair count for one repetition.
  let n = 8;
  let spentUs = 0;
  let done = 0;
  while (spentUs < cfg.warmupMs * 1000) {
    spentUs += await pairs(h, n);
    done += n;
    n *= 2;
  }
  const perPairUs = spentUs / done;
  const count = Math.max(20, Math.min(5_000_000, Math.round((cfg.repMs * 1000) / perPairUs)));
  const usPerPair: number[] = [];
  let total = 0;
  for (let r = 0; r < cfg.reps; r++) {
    usPerPair.push((await pairs(h, count)) / count);
    total += count;
  }
  await h.close();
  send('result', { usPerPair, pairs: count, total });
}
