/**
 * Workload 5, shared readers: P processes take and release the same read lock as fast as they
 * can. Measures aggregate read pairs per second and how that scales with P. Verified: at the
 * start of every repetition all P processes hold the read lock at the same time (an
 * implementation whose "shared" lock excluded would hang there and the row is FAILED).
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import type { WorkerConfig } from '../harness/protocol';
import { resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { higher, lower, resultsWallNs, startAt, sumOf, VerifyError, workerBase } from './common';
import { interleaved, type Session } from './interleave';

async function readersSession(ctx: RunContext, info: ImplInfo, procs: number): Promise<Session> {
  const { readers, warmupMs } = ctx.config;
  const configs: WorkerConfig[] = [];
  for (let w = 0; w < procs; w++) configs.push({ ...workerBase(ctx, info, `readers-${info.id}-P${procs}`, w, procs), role: 'readers' });
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs);
  let rep = 0;
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    async run(kind) {
      resetStateFile(statePath);
      const results = await g.all({
        cmd: 'run',
        rep: rep++ % 250,
        startAtNs: startAt(30 + procs * 8),
        durationMs: kind === 'warmup' ? warmupMs : readers.durationMs,
      });
      if (results.some((r) => r.shared !== true)) throw new VerifyError(`the ${procs} readers never held the read lock at the same time: it is not shared`);
      const ops = sumOf(results, 'ops');
      const wall = resultsWallNs(results);
      return {
        'read pairs/s': higher(ops / (wall / 1e9), 'pairs/s'),
        'µs/pair per process': lower((wall / 1e3 / ops) * procs, 'µs'),
        'CPU µs/pair': lower(sumOf(results, 'cpuUs') / ops, 'µs'),
      };
    },
  };
}

/** The shared-readers workload. */
export const readersWorkload: Workload = {
  id: 'readers',
  title: 'Shared readers: P processes, same read lock',
  primary: { metric: 'read pairs/s', unit: 'pairs/s', better: 'higher' },
  async run(ctx: RunContext): Promise<Row[]> {
    const rows: Row[] = [];
    const impls = ctx.impls.filter((i) => i.runtime === 'node' && i.shared && i.waits && i.orderOnly !== true);
    for (const procs of ctx.config.readers.procs) {
      rows.push(
        ...(await interleaved(ctx, 'readers', `P=${procs}`, impls, (info) => readersSession(ctx, info, procs), {
          runTimeoutMs: 20_000 + procs * 1000 + 3 * ctx.config.readers.durationMs,
        })),
      );
    }
    return rows;
  },
};
