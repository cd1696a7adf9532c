/**
 * Worker side of the race (pylocksfile's testRace): walk hand-over-hand around a ring of
 * tracks (lock the next track before releasing the current one) for a number of laps. On every
 * track the worker checks that nobody else is on it (occupant slot) and counts its visit, so
 * the runner can verify mutual exclusion and exact visit counts.
 *
 * State file: 8 bytes per track: occupant (u32, 0 = free) and visits (u32).
 *
 * @packageDocumentation
 */
import { loadAdapter } from '../adapters/registry';
import { notAcquired, type LockHandle } from '../adapters/types';
import { nowNs, waitUntilNs } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNs, serve } from './io';

/** The track worker `worker` of `workers` starts on. */
export function startTrack(worker: number, workers: number, tracks: number): number {
  return Math.floor((worker * tracks) / workers);
}

/** Serves `run` commands of the race workload. */
export async function raceRole(cfg: Extract<WorkerConfig, { role: 'race' }>): Promise<void> {
  const h: LockHandle = (await loadAdapter(cfg.impl)).open(cfg.lockPath);
  const st = new StateFile(cfg.statePath);
  const id = cfg.worker + 1;
  let violations = 0;
  const enter = (t: number): void => {
    if (st.readU32(t * 8) !== 0) violations++;
    st.writeU32(t * 8, id);
    st.writeU32(t * 8 + 4, st.readU32(t * 8 + 4) + 1);
  };
  const leave = (t: number): void => {
    if (st.readU32(t * 8) !== id) violations++;
    st.writeU32(t * 8, 0);
  };
  const acquire = async (t: number): Promise<void> => {
    const ok = h.mode === 'sync' ? h.acquire(t, true) : await h.acquire(t, true);
    if (ok === false) throw notAcquired(cfg.impl, t);
  };
  const release = async (t: number): Promise<void> => {
    const r = h.release(t);
    if (r !== undefined) await r;
  };
  await serve(async (c) => {
    violations = 0;
    const steps = (typeof c.laps === 'number' ? c.laps : cfg.laps) * cfg.tracks;
    let cur = startTrack(cfg.worker, cfg.workers, cfg.tracks);
    waitUntilNs(cmdNs(c, 'startAtNs'));
    const cpu0 = process.cpuUsage();
    const t0 = nowNs();
    await acquire(cur);
    enter(cur);
    if (h.mode === 'sync') {
      for (let s = 0; s < steps; s++) {
        const next = cur + 1 === cfg.tracks ? 0 : cur + 1;
        if (h.acquire(next, true) === false) throw notAcquired(cfg.impl, next);
        enter(next);
        leave(cur);
        h.release(cur);
        cur = next;
      }
    } else {
      for (let s = 0; s < steps; s++) {
        const next = cur + 1 === cfg.tracks ? 0 : cur + 1;
        await acquire(next);
        enter(next);
        leave(cur);
        await release(cur);
        cur = next;
      }
    }
    leave(cur);
    await release(cur);
    const t1 = nowNs();
    const cpu = process.cpuUsage(cpu0);
    return { steps, violations, startNs: String(t0), endNs: String(t1), cpuUs: cpu.user + cpu.system };
  });
  await h.close();
}
