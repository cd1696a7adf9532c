/**
 * Workload 2, contended counter: P processes, one lock, each operation = acquire; read the
 * counter file; write counter+1; log (worker id) at slot `counter`; release. Runs for a fixed
 * time per repetition. Verified: the counter equals the sum of the operations the workers
 * report, and the log holds exactly each worker's operation count (a lost update or a double
 * holder shows up as a mismatch and the row is FAILED). Reports ops/s, hand-overs/s
 * (consecutive operations by different processes), acquire latency p50/p99/max, CPU per
 * operation, and for async Node implementations the event-loop delay p99.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { withWorkers } from '../harness/children';
import { Histogram } from '../harness/histogram';
import { histogram, num, ns, optionalObject, type WorkerConfig } from '../harness/protocol';
import { readStateFile, resetStateFile } from '../harness/state-file';
import type { Metric, Row, RunContext, Workload } from '../harness/types';
import { COUNTER_LOG_OFFSET } from '../roles/counter';
import { RepMetrics, runCase, startAt, VerifyError, wallNs, workerBase } from './common';

/** Options of one counter case. */
export interface CounterOptions {
  /** Workload id the rows belong to. */
  readonly workload: string;
  /** Busy time inside the lock per operation (µs). */
  readonly holdUs: number;
  /** Yield to the event loop after every operation (sync implementations too). */
  readonly yieldEachOp: boolean;
  /** Time per repetition (ms). */
  readonly durationMs: number;
}

/** Checks the counter and log of one repetition; returns the number of hand-overs. */
export function verifyCounter(statePath: string, opsByWorker: readonly number[]): number {
  const total = opsByWorker.reduce((a, b) => a + b, 0);
  const buf = readStateFile(statePath);
  const counter = buf.length >= 4 ? buf.readUInt32LE(0) : 0;
  if (counter !== total) throw new VerifyError(`counter is ${counter} but the workers did ${total} operations (lost or extra updates)`);
  const seen = new Array<number>(opsByWorker.length).fill(0);
  let handovers = 0;
  for (let i = 0; i < total; i++) {
    const id = buf[COUNTER_LOG_OFFSET + i] ?? 0;
    if (id < 1 || id > opsByWorker.length) throw new VerifyError(`log slot ${i} holds ${id}: an operation overwrote another's slot`);
    seen[id - 1]!++;
    if (i > 0 && id !== buf[COUNTER_LOG_OFFSET + i - 1]) handovers++;
  }
  opsByWorker.forEach((n, w) => {
    if (seen[w] !== n) throw new VerifyError(`worker ${w} reported ${n} operations but the log holds ${seen[w]}`);
  });
  return handovers;
}

/** Runs one counter case (P processes of `info`) and returns its metrics. */
export async function counterCase(ctx: RunContext, info: ImplInfo, procs: number, o: CounterOptions): Promise<{ metrics: Record<string, Metric>; note?: string }> {
  const { reps } = ctx.config;
  const name = `${o.workload}-${info.id}-P${procs}`;
  const monitor = info.runtime === 'node' && (info.mode === 'async' || o.yieldEachOp);
  const configs: WorkerConfig[] = [];
  for (let w = 0; w < procs; w++) {
    configs.push({ ...workerBase(ctx, info, name, w, procs), role: 'counter', holdUs: o.holdUs, yieldEachOp: o.yieldEachOp, monitor, pollS: info.pollS ?? 0 });
  }
  const statePath = configs[0]!.statePath;
  const timeoutMs = 20_000 + procs * 1000 + reps * (o.durationMs + 3000);
  return withWorkers(configs, timeoutMs, async (workers) => {
    await Promise.all(workers.map((w) => w.expect('ready')));
    const m = new RepMetrics();
    for (let rep = 0; rep < reps; rep++) {
      resetStateFile(statePath);
      const at = startAt(20 + procs * 6);
      for (const w of workers) w.send({ cmd: 'run', startAtNs: at, durationMs: o.durationMs });
      const results = await Promise.all(workers.map((w) => w.expect('result')));
      const ops = results.map((r) => num(r, 'ops'));
      const handovers = verifyCounter(statePath, ops);
      const total = ops.reduce((a, b) => a + b, 0);
      const wall = wallNs(results.map((r) => ({ startNs: ns(r, 'startNs'), endNs: ns(r, 'endNs') })));
      const lat = new Histogram();
      for (const r of results) lat.merge(histogram(r, 'lat'));
      m.add('ops/s', total / (wall / 1e9), 'ops/s', 'higher');
      m.add('hand-overs/s', handovers / (wall / 1e9), '/s', 'higher');
      m.add('µs/op', wall / 1e3 / total, 'µs', 'lower');
      m.add('acquire p50', lat.percentile(50), 'µs', 'lower');
      m.add('acquire p99', lat.percentile(99), 'µs', 'lower');
      m.add('acquire max', lat.maxUs, 'µs', 'lower');
      m.add('CPU µs/op', results.reduce((a, r) => a + num(r, 'cpuUs'), 0) / total, 'µs', 'lower');
      if (monitor) {
        const elds = results.map((r) => optionalObject(r, 'eld'));
        const p99 = Math.max(...elds.map((e) => (e === null ? 0 : num(e, 'p99Ms'))));
        const max = Math.max(...elds.map((e) => (e === null ? 0 : num(e, 'maxMs'))));
        m.add('loop delay p99', p99, 'ms', 'lower');
        m.add('loop delay max', max, 'ms', 'lower');
      }
      m.add('operations', total, 'ops', 'higher');
    }
    await Promise.all(workers.map((w) => w.stop()));
    return { metrics: m.build() };
  });
}

/** Implementations that can wait for a held lock. */
export function waitingImpls(ctx: RunContext): ImplInfo[] {
  return ctx.impls.filter((i) => i.waits);
}

/** The contended counter workload. */
export const counter: Workload = {
  id: 'counter',
  title: 'Contended counter: P processes, one lock, read-increment-write',
  primary: { metric: 'ops/s', unit: 'ops/s', better: 'higher' },
  async run(ctx: RunContext): Promise<Row[]> {
    const rows: Row[] = [];
    const o: CounterOptions = { workload: 'counter', holdUs: 0, yieldEachOp: false, durationMs: ctx.config.counter.durationMs };
    for (const procs of ctx.config.counter.procs) {
      for (const info of waitingImpls(ctx)) {
        rows.push(await runCase(ctx, 'counter', `P=${procs}`, info, () => counterCase(ctx, info, procs, o)));
      }
    }
    return rows;
  },
};
