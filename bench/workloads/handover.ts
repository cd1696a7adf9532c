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
import { withWorkers } from '../harness/children';
import { numbers, type WorkerConfig } from '../harness/protocol';
import { percentileSorted } from '../harness/stats';
import { resetStateFile } from '../harness/state-file';
import type { Metric, Row, RunContext, Workload } from '../harness/types';
import { RepMetrics, runCase, VerifyError, workerBase } from './common';

async function handoverCase(ctx: RunContext, info: ImplInfo): Promise<{ metrics: Record<string, Metric> }> {
  const { reps, handover } = ctx.config;
  const configs: WorkerConfig[] = [0, 1].map((w) => ({ ...workerBase(ctx, info, `handover-${info.id}`, w, 2), role: 'handover', parkUs: handover.parkUs }));
  const statePath = configs[0]!.statePath;
  return withWorkers(configs, 20_000 + reps * handover.rounds * 60, async (workers) => {
    const [w0, w1] = workers as [(typeof workers)[0], (typeof workers)[0]];
    await Promise.all(workers.map((w) => w.expect('ready')));
    const m = new RepMetrics();
    for (let rep = 0; rep < reps; rep++) {
      resetStateFile(statePath);
      w0.send({ cmd: 'hold' });
      await w0.expect('result');
      for (const w of workers) w.send({ cmd: 'run', rounds: handover.rounds });
      const samples = (await Promise.all([w0.expect('result'), w1.expect('result')])).flatMap((r) => numbers(r, 'samples'));
      if (samples.length !== handover.rounds) throw new VerifyError(`expected ${handover.rounds} hand-overs, got ${samples.length}`);
      const early = samples.filter((s) => s < 0).length;
      if (early > 0) throw new VerifyError(`${early} waiters returned before the holder released: two holders`);
      samples.sort((a, b) => a - b);
      m.add('hand-over p50', percentileSorted(samples, 50), 'µs', 'lower');
      m.add('hand-over p99', percentileSorted(samples, 99), 'µs', 'lower');
      m.add('hand-over max', samples[samples.length - 1]!, 'µs', 'lower');
    }
    await Promise.all(workers.map((w) => w.stop()));
    return { metrics: m.build() };
  });
}

/** The hand-over latency workload. */
export const handoverWorkload: Workload = {
  id: 'handover',
  title: 'Hand-over latency: release to the waiter’s return (2 processes)',
  primary: { metric: 'hand-over p50', unit: 'µs', better: 'lower' },
  async run(ctx: RunContext): Promise<Row[]> {
    const rows: Row[] = [];
    for (const info of ctx.impls.filter((i) => i.runtime === 'node' && i.waits)) {
      rows.push(await runCase(ctx, 'handover', '', info, async () => ({ ...(await handoverCase(ctx, info)), note: `${ctx.config.handover.rounds} rounds per repetition, waiter parked ${ctx.config.handover.parkUs} µs` })));
    }
    return rows;
  },
};
