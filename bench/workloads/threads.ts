/**
 * Contention between worker threads of one process (issue 15): the contended counter with
 * its P workers as worker threads of a single process, each with its own handle (its own lock
 * owner). os-lock is left out: POSIX record locks belong to the process, so its threads would
 * not exclude each other (the counter check would fail). fs-ext's async forms are reported n/a:
 * fs-ext queues its async work on `uv_default_loop()`, so a callback of a worker thread's call
 * runs on the main thread's loop and the process aborts (SIGABRT, seen on this machine).
 *
 * @packageDocumentation
 */
import type { Workload } from '../harness/types';
import { row } from './common';
import { counterRows } from './counter';

/** Node implementations whose owners are per handle, so threads of one process exclude each other. */
const IDS = ['ours-sync', 'ours-async', 'ours-shm-async', 'raw-fcntl', 'fs-ext-sync', 'proper-lockfile', 'lockfile'];

/** Implementations that cannot run in a worker thread, and why. */
const NOT_IN_THREADS: Readonly<Record<string, string>> = {
  'fs-ext-async': "fs-ext queues async work on uv_default_loop(): a worker thread's flock callback runs on the main thread and the process aborts (SIGABRT)",
  'fs-ext-well': "waits through fs-ext's async flock, which aborts the process when called from a worker thread (uv_default_loop())",
};

/** The worker-thread workload. */
export const threadsWorkload: Workload = {
  id: 'threads',
  title: 'Worker threads: P threads of one process on one lock',
  primary: { metric: 'ops/s', unit: 'ops/s', better: 'higher' },
  async run(ctx) {
    const impls = ctx.impls.filter((i) => IDS.includes(i.id));
    const { procs, durationMs } = ctx.config.threads;
    const rows = await counterRows(ctx, impls, procs, {
      workload: 'threads',
      holdUs: 0,
      yieldEachOp: false,
      durationMs,
      warmupMs: ctx.config.warmupMs,
      threads: true,
    });
    for (const p of procs) {
      for (const info of ctx.impls.filter((i) => NOT_IN_THREADS[i.id] !== undefined))
        rows.push(row('threads', `P=${p}`, info, 'n/a', {}, NOT_IN_THREADS[info.id]));
    }
    return rows;
  },
};
