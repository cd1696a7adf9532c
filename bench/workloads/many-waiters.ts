/**
 * Many waiters in one process (issue 15): another process holds n locks (n = 1 .. 256) and one
 * process has n acquires pending on them at once (distinct indices of one file, or distinct
 * files for whole-file implementations). Measured while they wait: memory per waiting request
 * (RSS growth ÷ n, after garbage collection), event-loop delay, and `fs.readFile` latency
 * (libuv-pool peers park one pool thread per wait, so with 4 or more pending a read waits for
 * the release); then the grant latency from the release to the first and the last grant.
 * Verified: every pending acquire is granted, none before the release.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { ns, num, numbers, type WorkerConfig } from '../harness/protocol';
import { percentileSorted } from '../harness/stats';
import { resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { lower, VerifyError, workerBase, worst } from './common';
import { interleaved, type Session } from './interleave';

/** Async implementations that can have many acquires pending in one thread. */
const IDS = ['ours-async', 'ours-shm-async', 'fs-ext-well', 'fs-ext-async', 'os-lock', 'proper-lockfile', 'lockfile'];

async function manyWaitersSession(ctx: RunContext, info: ImplInfo, n: number): Promise<Session> {
  const { windowMs, settleMs } = ctx.config.manyWaiters;
  const configs: WorkerConfig[] = [0, 1].map((w) => ({ ...workerBase(ctx, info, `waiters-${info.id}-${n}`, w, 2), role: 'many-waiters' }));
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs);
  const [holder, waiter] = g.workers as [(typeof g.workers)[0], (typeof g.workers)[0]];
  const step = async (w: typeof holder, cmd: Record<string, unknown>): Promise<Record<string, unknown>> => {
    w.send({ cmd: 'run', ...cmd });
    return w.expect('result');
  };
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    note: `${info.indexed ? `${n} indices of one file, one handle` : `${n} files, one handle each`}; measured after ${settleMs} ms settling, for ${windowMs} ms`,
    async run() {
      resetStateFile(statePath);
      await step(holder, { step: 'hold', n });
      const p = await step(waiter, { step: 'pend', n, windowMs, settleMs });
      await step(holder, { step: 'release' });
      const c = await step(waiter, { step: 'collect' });
      const release = ns(c, 'releaseNs');
      if (release === 0n || ns(c, 'firstNs') < release) throw new VerifyError('a pending acquire was granted before the holder released');
      const reads = numbers(p, 'reads').sort((a, b) => a - b);
      return {
        'last grant': lower(Number(ns(c, 'lastNs') - release) / 1e6, 'ms'),
        'first grant': lower(Number(ns(c, 'firstNs') - release) / 1e6, 'ms'),
        'KiB/waiter': lower(num(p, 'rssDelta') / 1024 / n, 'KiB'),
        'loop delay p99': lower(num(p, 'loopP99Ms'), 'ms'),
        'readFile p50': lower(percentileSorted(reads, 50), 'ms'),
        'readFile max': worst(reads[reads.length - 1], 'ms'),
      };
    },
  };
}

/** The many-waiters workload. */
export const manyWaitersWorkload: Workload = {
  id: 'many-waiters',
  title: 'Many waiters in one process: memory, event loop and fs while n acquires wait; grant after release',
  primary: { metric: 'last grant', unit: 'ms', better: 'lower' },
  async run(ctx): Promise<Row[]> {
    const rows: Row[] = [];
    const impls = ctx.impls.filter((i) => IDS.includes(i.id));
    for (const n of ctx.config.manyWaiters.counts) {
      rows.push(
        ...(await interleaved(ctx, 'many-waiters', `n=${n}`, impls, (info) => manyWaitersSession(ctx, info, n), {
          runTimeoutMs: 60_000,
          warmupEachRep: false,
          reps: ctx.config.manyWaiters.reps,
        })),
      );
    }
    return rows;
  },
};
