/**
 * Workload 7, event-loop health: P processes contend for one lock, each operation busy for
 * `holdUs` inside the lock, and every process yields to its event loop after each operation
 * (as a server handling one request per turn would). `monitorEventLoopDelay` (1 ms resolution)
 * runs in every process; the worst process's p99 is reported. An async lock keeps the loop
 * responsive while waiting; a sync lock (flockSync) blocks it for the whole wait. The counter is
 * verified exactly as in the contended counter workload.
 *
 * @packageDocumentation
 */
import type { Row, RunContext, Workload } from '../harness/types';
import { runCase } from './common';
import { counterCase } from './counter';

/** The event-loop health workload. */
export const eventLoop: Workload = {
  id: 'event-loop',
  title: 'Event-loop delay while waiting on a contended lock',
  primary: { metric: 'loop delay p99', unit: 'ms', better: 'lower' },
  async run(ctx: RunContext): Promise<Row[]> {
    const { procs, durationMs, holdUs } = ctx.config.eventLoop;
    const rows: Row[] = [];
    for (const info of ctx.impls.filter((i) => i.runtime === 'node' && i.waits)) {
      rows.push(
        await runCase(ctx, 'event-loop', `P=${procs}`, info, async () => {
          const r = await counterCase(ctx, info, procs, { workload: 'event-loop', holdUs, yieldEachOp: true, durationMs });
          return { metrics: r.metrics, note: `each operation busy ${holdUs} µs inside the lock; one operation per event-loop turn` };
        }),
      );
    }
    return rows;
  },
};
