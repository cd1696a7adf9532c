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
import { counterWorkload } from './counter';

/** The event-loop health workload. */
export const eventLoop = counterWorkload({
  id: 'event-loop',
  title: 'Event-loop delay while waiting on a contended lock',
  primary: { metric: 'loop delay p99', unit: 'ms', better: 'lower' },
  impls: (ctx) => ctx.impls.filter((i) => i.runtime === 'node' && i.waits && i.orderOnly !== true),
  procs: (ctx) => [ctx.config.eventLoop.procs],
  options: (ctx) => ({ holdUs: ctx.config.eventLoop.holdUs, yieldEachOp: true, durationMs: ctx.config.eventLoop.durationMs }),
});
