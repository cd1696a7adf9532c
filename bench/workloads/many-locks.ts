/**
 * 1,000 distinct locks across processes (issue 15): P processes each pick one of 1,000 locks
 * at random per operation (index k of one file, or file k), acquire, increment that lock's
 * counter, release. Mostly uncontended: what an application with many fine-grained locks
 * pays. Verified: the counters add up to the operations done.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { Histogram } from '../harness/histogram';
import { histogram, type WorkerConfig } from '../harness/protocol';
import { readStateFile, resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { higher, lower, resultsWallNs, startAt, sumOf, VerifyError, workerBase, worst } from './common';
import { interleaved, type Session } from './interleave';

const IDS = ['ours-sync', 'ours-async', 'ours-shm-async', 'raw-fcntl', 'os-lock', 'fs-ext-sync', 'fs-ext-well', 'proper-lockfile', 'lockfile'];

async function manyLocksSession(ctx: RunContext, info: ImplInfo): Promise<Session> {
  const { procs, locks, durationMs } = ctx.config.manyLocks;
  const configs: WorkerConfig[] = [];
  for (let w = 0; w < procs; w++) configs.push({ ...workerBase(ctx, info, `locks-${info.id}`, w, procs), role: 'many-locks', locks });
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs, 60_000);
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    note: info.indexed ? `${locks} indices of one file` : `${locks} files, one handle each`,
    async run(kind) {
      resetStateFile(statePath);
      const results = await g.all({ cmd: 'run', startAtNs: startAt(30), durationMs: kind === 'warmup' ? ctx.config.warmupMs : durationMs });
      const total = sumOf(results, 'ops');
      const buf = readStateFile(statePath);
      let counted = 0;
      for (let k = 0; k + 4 <= buf.length && k < 4 * locks; k += 4) counted += buf.readUInt32LE(k);
      if (counted !== total) throw new VerifyError(`the counters add up to ${counted} but the workers did ${total} operations (lost updates)`);
      const wall = resultsWallNs(results) / 1e9;
      const lat = new Histogram();
      for (const r of results) lat.merge(histogram(r, 'lat'));
      return {
        'ops/s': higher(total / wall, 'ops/s'),
        'wait p99': lower(lat.percentile(99), 'µs'),
        'worst wait': worst(lat.maxUs / 1e3, 'ms'),
        'CPU µs/op': lower(sumOf(results, 'cpuUs') / total, 'µs'),
      };
    },
  };
}

/** The 1,000-locks workload. */
export const manyLocksWorkload: Workload = {
  id: 'many-locks',
  title: '1,000 distinct locks across processes',
  primary: { metric: 'ops/s', unit: 'ops/s', better: 'higher' },
  run: (ctx): Promise<Row[]> =>
    interleaved(
      ctx,
      'many-locks',
      `P=${ctx.config.manyLocks.procs}`,
      ctx.impls.filter((i) => IDS.includes(i.id)),
      (info) => manyLocksSession(ctx, info),
      { runTimeoutMs: 30_000 + 4 * ctx.config.manyLocks.durationMs },
    ),
};
