/**
 * Worker side of the contended counter (also used by the fairness, event-loop and
 * worker-thread workloads): until the deadline, acquire lock 0; read the counter; write
 * counter+1; write this worker's id into log slot `counter`; optionally stay busy `holdUs`;
 * release. The log lets the runner verify the counter and count hand-overs (consecutive
 * operations by different workers).
 *
 * @packageDocumentation
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadAdapter } from '../adapters/registry';
import { notAcquired, type LockHandle } from '../adapters/types';
import { nowNs, spinUs, usBetween, waitUntilNs } from '../harness/clock';
import { Histogram } from '../harness/histogram';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNs, cmdNumber, serve, type Command } from './io';

/** Byte offset of the operation log in the counter state file (one byte per operation). */
export const COUNTER_LOG_OFFSET = 64;
/** Every worker does at least this many operations per repetition, even past the deadline. */
export const COUNTER_MIN_OPS = 2;

/** What one counter worker needs: its lock, the state file, its id and the options. */
export interface CounterWorker {
  readonly h: LockHandle;
  readonly st: StateFile;
  /** Worker id written to the log (1-based). */
  readonly id: number;
  readonly cfg: Extract<WorkerConfig, { role: 'counter' }>;
  readonly monitor: ReturnType<typeof monitorEventLoopDelay> | null;
}

/** Opens the lock and state file of a counter worker with id `worker + 1`. */
export async function openCounterWorker(cfg: Extract<WorkerConfig, { role: 'counter' }>, worker: number): Promise<CounterWorker> {
  const h = (await loadAdapter(cfg.impl)).open(cfg.lockPath);
  return { h, st: new StateFile(cfg.statePath), id: worker + 1, cfg, monitor: cfg.monitor ? monitorEventLoopDelay({ resolution: 1 }) : null };
}

/** One counter repetition (`run` command): operations until the deadline; returns the result fields. */
export async function counterRun(k: CounterWorker, c: Command): Promise<Record<string, unknown>> {
  const { h, st, id, cfg, monitor } = k;
  const critical = (): void => {
    const v = st.readU32(0);
    st.writeU32(0, v + 1);
    st.writeU8(COUNTER_LOG_OFFSET + v, id);
    spinUs(cfg.holdUs);
  };
  const startAt = cmdNs(c, 'startAtNs');
  const deadline = startAt + BigInt(Math.round(cmdNumber(c, 'durationMs') * 1e6));
  const lat = new Histogram();
  let ops = 0;
  waitUntilNs(startAt);
  monitor?.reset();
  monitor?.enable();
  const cpu0 = process.cpuUsage();
  const t0 = nowNs();
  if (h.mode === 'sync') {
    while (ops < COUNTER_MIN_OPS || nowNs() < deadline) {
      const a = nowNs();
      if (h.acquire(0, true) === false) throw notAcquired(cfg.impl, 0);
      lat.record(usBetween(a, nowNs()));
      critical();
      h.release(0);
      ops++;
      if (cfg.yieldEachOp) await nextTurn();
    }
  } else {
    while (ops < COUNTER_MIN_OPS || nowNs() < deadline) {
      const a = nowNs();
      if ((await h.acquire(0, true)) === false) throw notAcquired(cfg.impl, 0);
      lat.record(usBetween(a, nowNs()));
      critical();
      const r = h.release(0);
      if (r !== undefined) await r;
      ops++;
      if (cfg.yieldEachOp) await nextTurn();
    }
  }
  const t1 = nowNs();
  const cpu = process.cpuUsage(cpu0);
  monitor?.disable();
  const eld =
    monitor === null || monitor.count === 0
      ? null
      : { p50Ms: monitor.percentile(50) / 1e6, p99Ms: monitor.percentile(99) / 1e6, maxMs: monitor.max / 1e6, count: monitor.count };
  return { ops, startNs: String(t0), endNs: String(t1), cpuUs: cpu.user + cpu.system, lat: lat.toData(), eld };
}

/** Serves `run` commands of the counter workload. */
export async function counterRole(cfg: Extract<WorkerConfig, { role: 'counter' }>): Promise<void> {
  const k = await openCounterWorker(cfg, cfg.worker);
  await serve((c) => counterRun(k, c));
  await k.h.close();
}
