/**
 * Workload 1, uncontended pair: one process, nobody else, back-to-back acquire + release of one
 * lock. Every Node implementation in its sync and async form, plus the two Python peers
 * measured inside python3. Verified: every repetition completed its calibrated pair count
 * without an error (exclusion itself is verified by the contended counter).
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { num } from '../harness/protocol';
import type { Row, RunContext, Workload } from '../harness/types';
import { higher, lower, VerifyError, workerBase } from './common';
import { interleaved, type Session } from './interleave';

/** The uncontended session of `info`: one process, calibrated pair count per repetition. */
export async function uncontendedSession(ctx: RunContext, info: ImplInfo, name: string): Promise<Session> {
  const u = ctx.config.uncontended;
  const g = await WorkerGroup.start([
    { ...workerBase(ctx, info, `${name}-${info.id}`, 0, 1), role: 'uncontended', reps: 1, repMs: u.repMs, warmupMs: u.warmupMs },
  ]);
  let pairs = 0;
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    get note() {
      return `${pairs} pairs per repetition`;
    },
    async run(kind) {
      const [r] = await g.all({ cmd: 'run', kind });
      const us = num(r, 'usPerPair');
      if (!(us > 0)) throw new VerifyError(`non-positive timing ${us}`);
      if (kind === 'measured') pairs = num(r, 'pairs');
      return { 'µs/pair': lower(us, 'µs'), 'pairs/s': higher(1e6 / us, 'pairs/s') };
    },
  };
}

/** Implementations of the uncontended workload: all but the polling shmlock variants and the per-use rows. */
function uncontendedImpls(ctx: RunContext): ImplInfo[] {
  return ctx.impls.filter((i) => !/^py-shm-/.test(i.id) && i.perUseOnly !== true && i.recoveryOnly !== true && i.orderOnly !== true);
}

/** The uncontended workload. */
export const uncontended: Workload = {
  id: 'uncontended',
  title: 'Uncontended acquire + release pair (one process)',
  primary: { metric: 'µs/pair', unit: 'µs', better: 'lower' },
  run: (ctx): Promise<Row[]> =>
    interleaved(ctx, 'uncontended', '', uncontendedImpls(ctx), (info) => uncontendedSession(ctx, info, 'uncontended'), {
      runTimeoutMs: 30_000 + ctx.config.uncontended.repMs * 10,
    }),
};
