/**
 * Wide writer against narrow readers (issue 10): one process asks, every 5-25 ms, for a write
 * lock on `[0, 64)` while 3 processes keep taking 0.2 ms read locks on random single indices
 * of it. Reports how long the wide write waited (worst over every attempt of every
 * repetition). Verified: whenever the writer holds the range, no reader is inside.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { numbers, type WorkerConfig } from '../harness/protocol';
import { percentileSorted } from '../harness/stats';
import { resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { higher, lower, startAt, sumOf, VerifyError, workerBase, worst } from './common';
import { interleaved, type Session } from './interleave';

async function wideWriterSession(ctx: RunContext, info: ImplInfo): Promise<Session> {
  const { readers, width, readUs, durationMs } = ctx.config.wideWriter;
  const workers = readers + 1;
  const configs: WorkerConfig[] = [];
  for (let w = 0; w < workers; w++) configs.push({ ...workerBase(ctx, info, `wide-${info.id}`, w, workers), role: 'wide-writer', width, readUs });
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs);
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    note: `write [0, ${width}) every 5-25 ms against ${readers} readers holding ${readUs} µs on random single indices`,
    async run(kind) {
      resetStateFile(statePath);
      const ms = kind === 'warmup' ? ctx.config.warmupMs * 2 : durationMs;
      const results = await g.all({ cmd: 'run', startAtNs: startAt(30), durationMs: ms });
      const violations = sumOf(results, 'violations');
      if (violations > 0) throw new VerifyError(`${violations} times the writer found a reader inside its range`);
      const waits = numbers(results[0], 'waitsMs').sort((a, b) => a - b);
      if (waits.length === 0) throw new VerifyError('the writer never got its range');
      return {
        'worst wait': worst(waits[waits.length - 1], 'ms'),
        'wait p50': lower(percentileSorted(waits, 50), 'ms'),
        writes: higher(waits.length, 'writes'),
        'reads/s': higher(sumOf(results, 'reads') / (ms / 1000), 'reads/s'),
      };
    },
  };
}

/** The wide-writer workload. */
export const wideWriterWorkload: Workload = {
  id: 'wide-writer',
  title: 'Wide writer on [0, 64) against 3 narrow readers',
  primary: { metric: 'worst wait', unit: 'ms', better: 'lower' },
  run: (ctx): Promise<Row[]> =>
    interleaved(
      ctx,
      'wide-writer',
      '',
      ctx.impls.filter((i) => i.runtime === 'node' && i.indexed && i.shared && i.waits),
      (info) => wideWriterSession(ctx, info),
      { runTimeoutMs: 30_000 + 4 * ctx.config.wideWriter.durationMs },
    ),
};
