/**
 * Workload 4, hand-over latency: two processes ping-pong one lock. The holder lets the waiter
 * park, writes its release timestamp (CLOCK_MONOTONIC, system-wide) to a shared file, and
 * releases; the waiter records the time from that timestamp to its own return. Verified: every
 * round produced a sample and no waiter returned before the holder released (a negative
 * latency would mean two holders).
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { numbers, type WorkerConfig } from '../harness/protocol';
import { percentileSorted } from '../harness/stats';
import { resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { lower, VerifyError, workerBase, worst } from './common';
import { interleaved, type Session } from './interleave';

async function handoverSession(ctx: RunContext, info: ImplInfo): Promise<Session> {
  const { handover } = ctx.config;
  const configs: WorkerConfig[] = [0, 1].map((w) => ({ ...workerBase(ctx, info, `handover-${info.id}`, w, 2), role: 'handover', parkUs: handover.parkUs }));
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs);
  const w0 = g.workers[0];
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    note: `${handover.rounds} rounds per repetition, waiter parked ${handover.parkUs} µs`,
    async run(kind) {
      const rounds = kind === 'warmup' ? Math.max(4, handover.rounds >> 3) : handover.rounds;
      resetStateFile(statePath);
      w0.send({ cmd: 'hold' });
      await w0.expect('result');
      const samples = (await g.all({ cmd: 'run', rounds })).flatMap((r) => numbers(r, 'samples'));
      if (samples.length !== rounds) throw new VerifyError(`expected ${rounds} hand-overs, got ${samples.length}`);
      const early = samples.filter((x) => x < 0).length;
      if (early > 0) throw new VerifyError(`${early} waiters returned before the holder released: two holders`);
      samples.sort((a, b) => a - b);
      return {
        'hand-over p50': lower(percentileSorted(samples, 50), 'µs'),
        'hand-over p99': lower(percentileSorted(samples, 99), 'µs'),
        'hand-over max': worst(samples[samples.length - 1], 'µs'),
      };
    },
  };
}

/** The hand-over latency workload. */
export const handoverWorkload: Workload = {
  id: 'handover',
  title: 'Hand-over latency: release to the waiter’s return (2 processes)',
  primary: { metric: 'hand-over p50', unit: 'µs', better: 'lower' },
  run: (ctx: RunContext): Promise<Row[]> =>
    interleaved(
      ctx,
      'handover',
      '',
      ctx.impls.filter((i) => i.runtime === 'node' && i.waits && i.orderOnly !== true),
      (info) => handoverSession(ctx, info),
      { runTimeoutMs: 20_000 + ctx.config.handover.rounds * 60 },
    ),
};
