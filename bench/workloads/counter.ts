/**
 * Workload 2, contended counter: P processes, one lock, each operation = acquire; read the
 * counter file; write counter+1; log (worker id) at slot `counter`; release. Runs for a fixed
 * time per repetition. Verified: the counter equals the sum of the operations the workers
 * report, and the log holds exactly each worker's operation count (a lost update or a double
 * holder shows up as a mismatch and the row is FAILED). Reports ops/s, the hand-over share
 * (grants that went to a different process than the previous grant) and hand-overs/s, wait
 * p50/p99/worst (the acquire call's duration), the smallest process's share of a fair split,
 * CPU per operation, and for async Node implementations the event-loop delay.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { Histogram } from '../harness/histogram';
import { histogram, num, optionalObject, type WorkerConfig } from '../harness/protocol';
import { readStateFile, resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { COUNTER_LOG_OFFSET } from '../roles/counter';
import { higher, lower, resultsWallNs, startAt, VerifyError, workerBase, worst, type RepValue } from './common';
import { interleaved, type Session } from './interleave';

/** Options of one counter case. */
export interface CounterOptions {
  /** Workload id the rows belong to. */
  readonly workload: string;
  /** Busy time inside the lock per operation (µs). */
  readonly holdUs: number;
  /** Yield to the event loop after every operation (sync implementations too). */
  readonly yieldEachOp: boolean;
  /** Time per measured repetition (ms). */
  readonly durationMs: number;
  /** Time of the warm-up run before each measured repetition (ms). */
  readonly warmupMs: number;
  /** Workers are separate processes (default), or worker threads of one process. */
  readonly threads?: boolean;
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
    seen[id - 1]++;
    if (i > 0 && id !== buf[COUNTER_LOG_OFFSET + i - 1]) handovers++;
  }
  opsByWorker.forEach((n, w) => {
    if (seen[w] !== n) throw new VerifyError(`worker ${w} reported ${n} operations but the log holds ${seen[w]}`);
  });
  return handovers;
}

/**
 * The counter session of `info` with `procs` processes: every contended metric that cannot
 * reward starvation (hand-over share, hand-overs/s, p99 and worst wait, min share per process)
 * beside ops/s.
 */
export async function counterSession(ctx: RunContext, info: ImplInfo, procs: number, o: CounterOptions): Promise<Session> {
  const name = `${o.workload}-${info.id}-P${procs}`;
  const monitor = info.runtime === 'node' && (info.mode === 'async' || o.yieldEachOp);
  const options = { holdUs: o.holdUs, yieldEachOp: o.yieldEachOp, monitor, pollS: info.pollS ?? 0 };
  const configs: WorkerConfig[] = [];
  if (o.threads === true) configs.push({ ...workerBase(ctx, info, name, 0, 1), role: 'threads', threads: procs, ...options });
  else for (let w = 0; w < procs; w++) configs.push({ ...workerBase(ctx, info, name, w, procs), role: 'counter', ...options });
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs);
  const runAll = async (cmd: Record<string, unknown>): Promise<unknown[]> => {
    const results = await g.all(cmd);
    if (o.threads !== true) return results;
    const threads = results[0].threads;
    if (!Array.isArray(threads) || threads.length !== procs) throw new Error(`expected ${procs} thread results`);
    return threads as unknown[];
  };
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    async run(kind) {
      resetStateFile(statePath);
      const results = await runAll({ cmd: 'run', startAtNs: startAt(20 + procs * 6), durationMs: kind === 'warmup' ? o.warmupMs : o.durationMs });
      const ops = results.map((r) => num(r, 'ops'));
      const cpu = results.map((r) => num(r, 'cpuUs'));
      const handovers = verifyCounter(statePath, ops);
      const total = ops.reduce((a, b) => a + b, 0);
      const wall = resultsWallNs(results) / 1e9;
      const lat = new Histogram();
      for (const r of results) lat.merge(histogram(r, 'lat'));
      const v: Record<string, RepValue> = {
        'ops/s': higher(total / wall, 'ops/s'),
        'hand-over share': higher((100 * handovers) / Math.max(1, total - 1), '%'),
        'hand-overs/s': higher(handovers / wall, '/s'),
        'wait p99': lower(lat.percentile(99) / 1e3, 'ms'),
        'worst wait': worst(lat.maxUs / 1e3, 'ms'),
        'min share': higher(Math.min(...ops) / (total / procs), 'x fair'),
        'wait p50': lower(lat.percentile(50), 'µs'),
        // In a worker thread process.cpuUsage() is the whole process's: take the largest, not the sum.
        'CPU µs/op': lower((o.threads === true ? Math.max(...cpu) : cpu.reduce((a, b) => a + b, 0)) / total, 'µs'),
      };
      if (monitor) {
        const elds = results.map((r) => optionalObject(r, 'eld'));
        v['loop delay p99'] = lower(Math.max(...elds.map((e) => (e === null ? 0 : num(e, 'p99Ms')))), 'ms');
        v['loop delay max'] = worst(Math.max(...elds.map((e) => (e === null ? 0 : num(e, 'maxMs')))), 'ms');
      }
      return v;
    },
  };
}

/** Implementations that can wait for a held lock. */
function waitingImpls(ctx: RunContext): ImplInfo[] {
  return ctx.impls.filter((i) => i.waits);
}

/** Runs the counter cases of `procs` over `impls`, interleaved. */
export async function counterRows(ctx: RunContext, impls: readonly ImplInfo[], procsList: readonly number[], o: CounterOptions, reps?: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const procs of procsList) {
    rows.push(
      ...(await interleaved(ctx, o.workload, `P=${procs}`, impls, (info) => counterSession(ctx, info, procs, o), {
        runTimeoutMs: 15_000 + 4 * o.durationMs + procs * 1000,
        ...(reps === undefined ? {} : { reps }),
      })),
    );
  }
  return rows;
}

/** What sets one counter-based workload apart: its implementations, process counts and options. */
export interface CounterWorkloadSpec extends Pick<Workload, 'id' | 'title' | 'primary'> {
  impls(ctx: RunContext): ImplInfo[];
  procs(ctx: RunContext): readonly number[];
  options(ctx: RunContext): Omit<CounterOptions, 'workload' | 'warmupMs'>;
  /** Repetitions, when not the run's `--reps`. */
  reps?(ctx: RunContext): number;
}

/** A workload that runs the counter cases of `spec`, interleaved. */
export function counterWorkload(spec: CounterWorkloadSpec): Workload {
  return {
    id: spec.id,
    title: spec.title,
    primary: spec.primary,
    run: (ctx) =>
      counterRows(ctx, spec.impls(ctx), spec.procs(ctx), { workload: spec.id, warmupMs: ctx.config.warmupMs, ...spec.options(ctx) }, spec.reps?.(ctx)),
  };
}

/** The contended counter workload. */
export const counter = counterWorkload({
  id: 'counter',
  title: 'Contended counter: P processes, one lock, read-increment-write',
  primary: { metric: 'ops/s', unit: 'ops/s', better: 'higher' },
  impls: waitingImpls,
  procs: (ctx) => ctx.config.counter.procs,
  options: (ctx) => ({ holdUs: 0, yieldEachOp: false, durationMs: ctx.config.counter.durationMs }),
});
