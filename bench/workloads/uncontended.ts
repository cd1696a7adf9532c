/**
 * Workload 1, uncontended pair: one process, nobody else, back-to-back acquire + release of one
 * lock. Every Node implementation in its sync and async form, plus the two Python peers
 * measured inside python3. Verified: every repetition completed its calibrated pair count
 * without an error (exclusion itself is verified by the contended counter).
 *
 * @packageDocumentation
 */
import { withWorkers } from '../harness/children';
import { num, numbers } from '../harness/protocol';
import type { Row, RunContext, Workload } from '../harness/types';
import { metric, runCase, VerifyError, workerBase } from './common';

const UNCONTENDED_IDS = (id: string): boolean => !/^py-shm-/.test(id);

/** The uncontended workload. */
export const uncontended: Workload = {
  id: 'uncontended',
  title: 'Uncontended acquire + release pair (one process)',
  primary: { metric: 'µs/pair', unit: 'µs', better: 'lower' },
  async run(ctx: RunContext): Promise<Row[]> {
    const { reps, uncontended: u } = ctx.config;
    const rows: Row[] = [];
    for (const info of ctx.impls.filter((i) => UNCONTENDED_IDS(i.id))) {
      rows.push(
        await runCase(ctx, 'uncontended', '', info, () =>
          withWorkers(
            [{ ...workerBase(ctx, info, `uncontended-${info.id}`, 0, 1), role: 'uncontended', reps, repMs: u.repMs, warmupMs: u.warmupMs }],
            30_000 + reps * u.repMs * 4 + u.warmupMs * 4,
            async ([w]) => {
              await w!.expect('ready');
              const res = await w!.expect('result');
              const us = numbers(res, 'usPerPair');
              if (us.length !== reps || us.some((x) => !(x > 0))) throw new VerifyError(`expected ${reps} positive timings, got ${JSON.stringify(us)}`);
              await w!.stop();
              return {
                metrics: { 'µs/pair': metric(us, 'µs', 'lower'), 'pairs/s': metric(us.map((x) => 1e6 / x), 'pairs/s', 'higher') },
                note: `${num(res, 'pairs')} pairs per repetition`,
              };
            },
          ),
        ),
      );
    }
    return rows;
  },
};
