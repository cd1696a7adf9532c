/**
 * Workload 5, shared readers: P processes take and release the same read lock as fast as they
 * can. Measures aggregate read pairs per second and how that scales with P. Verified: at the
 * start of every repetition all P processes hold the read lock at the same time (an
 * implementation whose "shared" lock excluded would hang there and the row is FAILED).
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { withWorkers } from '../harness/children';
import { num, ns, type WorkerConfig } from '../harness/protocol';
import { resetStateFile } from '../harness/state-file';
import type { Metric, Row, RunContext, Workload } from '../harness/types';
import { RepMetrics, runCase, startAt, VerifyError, wallNs, workerBase } from './common';

async function readersCase(ctx: RunContext, info: ImplInfo, procs: number): Promise<{ metrics: Record<string, Metric> }> {
  const { reps, readers } = ctx.config;
  const configs: WorkerConfig[] = [];
  for (let w = 0; w < procs; w++) configs.push({ ...workerBase(ctx, info, `readers-${info.id}-P${procs}`, w, procs), role: 'readers' });
  const statePath = configs[0]!.statePath;
  return withWorkers(configs, 20_000 + procs * 1000 + reps * (readers.durationMs + 3000), async (workers) => {
    await Promise.all(workers.map((w) => w.expect('ready')));
    const m = new RepMetrics();
    for (let rep = 0; rep < reps; rep++) {
      resetStateFile(statePath);
      const at = startAt(30 + procs * 8);
      for (const w of workers) w.send({ cmd: 'run', rep, startAtNs: at, durationMs: readers.durationMs });
      const results = await Promise.all(workers.map((w) => w.expect('result')));
      if (results.some((r) => r.shared !== true)) throw new VerifyError(`the ${procs} readers never held the read lock at the same time: it is not shared`);
      const ops = results.reduce((a, r) => a + num(r, 'ops'), 0);
      const wall = wallNs(results.map((r) => ({ startNs: ns(r, 'startNs'), endNs: ns(r, 'endNs') })));
      m.add('read pairs/s', ops / (wall / 1e9), 'pairs/s', 'higher');
      m.add('µs/pair per process', (wall / 1e3 / ops) * procs, 'µs', 'lower');
      m.add('CPU µs/pair', results.reduce((a, r) => a + num(r, 'cpuUs'), 0) / ops, 'µs', 'lower');
    }
    await Promise.all(workers.map((w) => w.stop()));
    return { metrics: m.build() };
  });
}

/** The shared-readers workload. */
export const readersWorkload: Workload = {
  id: 'readers',
  title: 'Shared readers: P processes, same read lock',
  primary: { metric: 'read pairs/s', unit: 'pairs/s', better: 'higher' },
  async run(ctx: RunContext): Promise<Row[]> {
    const rows: Row[] = [];
    const impls = ctx.impls.filter((i) => i.runtime === 'node' && i.shared && i.waits);
    for (const procs of ctx.config.readers.procs) {
      for (const info of impls) rows.push(await runCase(ctx, 'readers', `P=${procs}`, info, () => readersCase(ctx, info, procs)));
    }
    return rows;
  },
};
