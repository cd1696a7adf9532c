/**
 * Worker side of the 1,000-locks workload: until the deadline, pick one of `locks` distinct
 * locks at random, acquire it, increment its counter (u32 at 4·k in the state file), release.
 * The runner checks that the counters add up to the operations done (a lost update means two
 * holders of one lock).
 *
 * @packageDocumentation
 */
import { nowNs, usBetween, waitUntilNs } from '../harness/clock';
import { Histogram } from '../harness/histogram';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNs, cmdNumber, serve } from './io';
import { openLocks } from './locks';

/** Serves `run` commands of the 1,000-locks workload. */
export async function manyLocksRole(cfg: Extract<WorkerConfig, { role: 'many-locks' }>): Promise<void> {
  const locks = await openLocks(cfg.impl, cfg.lockPath, cfg.locks);
  const st = new StateFile(cfg.statePath);
  await serve(async (c) => {
    const startAt = cmdNs(c, 'startAtNs');
    const deadline = startAt + BigInt(Math.round(cmdNumber(c, 'durationMs') * 1e6));
    const lat = new Histogram();
    let ops = 0;
    waitUntilNs(startAt);
    const cpu0 = process.cpuUsage();
    const t0 = nowNs();
    while (nowNs() < deadline) {
      const k = Math.floor(Math.random() * cfg.locks);
      const { lock, index } = locks.at(k);
      const a = nowNs();
      await lock.acquire(index, true);
      lat.record(usBetween(a, nowNs()));
      st.writeU32(4 * k, st.readU32(4 * k) + 1);
      await lock.release(index);
      ops++;
    }
    const cpu = process.cpuUsage(cpu0);
    return { ops, startNs: String(t0), endNs: String(nowNs()), cpuUs: cpu.user + cpu.system, lat: lat.toData() };
  });
  await locks.close();
}
