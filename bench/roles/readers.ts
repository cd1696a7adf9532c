/**
 * Worker side of the shared-readers workload. Each repetition first proves the lock is really
 * shared (every worker takes the read lock and waits, holding it, until all workers hold it;
 * an exclusive lock would hang here), then does read acquire/release pairs until the deadline.
 *
 * State file: one byte per worker, set to the repetition number while holding in the rendezvous.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { loadAdapter } from '../adapters/registry';
import { notAcquired } from '../adapters/types';
import { nowNs, sleepSync, waitUntilNs } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNs, cmdNumber, serve } from './io';

/** How long the rendezvous may take before the lock is declared not shared. */
const RENDEZVOUS_LIMIT_NS = 5_000_000_000n;

/** Serves `run` commands of the readers workload. */
export async function readersRole(cfg: Extract<WorkerConfig, { role: 'readers' }>): Promise<void> {
  const h = (await loadAdapter(cfg.impl)).open(cfg.lockPath);
  const st = new StateFile(cfg.statePath);
  const all = Buffer.alloc(cfg.workers);
  const acquire = async (): Promise<void> => {
    const ok = h.mode === 'sync' ? h.acquire(0, false) : await h.acquire(0, false);
    if (ok === false) throw notAcquired(cfg.impl, 0);
  };
  const release = async (): Promise<void> => {
    const r = h.release(0);
    if (r !== undefined) await r;
  };
  await serve(async (c) => {
    const rep = cmdNumber(c, 'rep') + 1;
    const startAt = cmdNs(c, 'startAtNs');
    const deadline = startAt + BigInt(Math.round(cmdNumber(c, 'durationMs') * 1e6));
    await acquire();
    st.writeU8(cfg.worker, rep);
    let shared = false;
    const limit = nowNs() + RENDEZVOUS_LIMIT_NS;
    while (nowNs() < limit) {
      fs.readSync(st.fd, all, 0, cfg.workers, 0);
      if (all.every((b) => b === rep)) {
        shared = true;
        break;
      }
      sleepSync(0.05);
    }
    await release();
    if (!shared) return { shared, ops: 0, startNs: '0', endNs: '0', cpuUs: 0 };
    waitUntilNs(startAt); // returns at once when the rendezvous ran past the planned start
    let ops = 0;
    const cpu0 = process.cpuUsage();
    const t0 = nowNs();
    if (h.mode === 'sync') {
      while (nowNs() < deadline) {
        if (h.acquire(0, false) === false) throw notAcquired(cfg.impl, 0);
        h.release(0);
        ops++;
      }
    } else {
      while (nowNs() < deadline) {
        await acquire();
        await release();
        ops++;
      }
    }
    const t1 = nowNs();
    const cpu = process.cpuUsage(cpu0);
    return { shared, ops, startNs: String(t0), endNs: String(t1), cpuUs: cpu.user + cpu.system };
  });
  await h.close();
}
