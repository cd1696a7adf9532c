/**
 * Helpers shared by the workloads: building rows and metrics, turning any failure of a case
 * into a FAILED row, and start times in the shared monotonic clock.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { nowNs } from '../harness/clock';
import { shmNameFor } from '../harness/paths';
import { num, ns, type WorkerBase } from '../harness/protocol';
import { median } from '../harness/stats';
import type { Aggregate, Better, Metric, Row, RunContext } from '../harness/types';

/** A verification failure: the run completed but its result is wrong. */
export class VerifyError extends Error {}

/** A metric from its warm repetitions (and the cold first run when there is one). */
export function metric(reps: readonly number[], unit: string, better: Better, aggregate: Aggregate = 'median', cold: number | null = null): Metric {
  const min = Math.min(...reps);
  const max = Math.max(...reps);
  const mid = median(reps);
  return {
    value: aggregate === 'max' ? max : mid,
    min,
    max,
    cold,
    reps: [...reps],
    aggregate,
    wide: reps.length > 1 && max - min > 0.5 * Math.abs(mid),
    unit,
    better,
  };
}

/** One repetition's value of one metric. */
export interface RepValue {
  readonly value: number;
  readonly unit: string;
  readonly better: Better;
  /** `max` for worst-case metrics (the reported figure is the true maximum); default median. */
  readonly aggregate?: Aggregate;
}

/** Every metric of one repetition, by name. */
export type RepValues = Readonly<Record<string, RepValue>>;

/** Collects the repetitions of several metrics: one cold run, then warm ones. */
export class RepMetrics {
  private readonly values = new Map<string, { reps: number[]; cold: number | null; unit: string; better: Better; aggregate: Aggregate }>();

  /** Adds one repetition (`cold` marks the first, un-warmed run). */
  add(rep: RepValues, cold = false): void {
    for (const [name, v] of Object.entries(rep)) {
      let m = this.values.get(name);
      if (m === undefined) {
        m = { reps: [], cold: null, unit: v.unit, better: v.better, aggregate: v.aggregate ?? 'median' };
        this.values.set(name, m);
      }
      if (cold) m.cold = v.value;
      else m.reps.push(v.value);
    }
  }

  /** The metrics (only those with at least one warm repetition). */
  build(): Record<string, Metric> {
    const out: Record<string, Metric> = {};
    for (const [k, v] of this.values) if (v.reps.length > 0) out[k] = metric(v.reps, v.unit, v.better, v.aggregate, v.cold);
    return out;
  }
}

/** Shorthands for {@link RepValue}s. */
export const lower = (value: number, unit: string): RepValue => ({ value, unit, better: 'lower' });
/** A higher-is-better value. */
export const higher = (value: number, unit: string): RepValue => ({ value, unit, better: 'higher' });
/** A worst-case value: reported as the maximum over the repetitions. */
export const worst = (value: number, unit: string): RepValue => ({ value, unit, better: 'lower', aggregate: 'max' });

/** A row for `info`. */
export function row(
  workload: string,
  kase: string,
  info: Pick<ImplInfo, 'id' | 'label' | 'group'>,
  status: Row['status'],
  metrics: Record<string, Metric>,
  note?: string,
): Row {
  return { workload, case: kase, impl: info.id, label: info.label, group: info.group, status, metrics, ...(note === undefined ? {} : { note }) };
}

/** A monotonic start time `ms` from now, as the decimal string the workers expect. */
export function startAt(ms: number): string {
  return String(nowNs() + BigInt(Math.round(ms * 1e6)));
}

/** The worker settings shared by every worker of one case. */
export function workerBase(ctx: RunContext, info: ImplInfo, name: string, worker: number, workers: number): WorkerBase {
  const lockPath = `${ctx.dir}/${name}.lock`;
  return { impl: info.id, worker, workers, lockPath, statePath: `${ctx.dir}/${name}.state`, shmName: shmNameFor(lockPath) };
}

/** Nanosecond span from the earliest start to the latest end of several workers. */
export function wallNs(results: ReadonlyArray<{ startNs: bigint; endNs: bigint }>): number {
  let s = results[0].startNs;
  let e = results[0].endNs;
  for (const r of results) {
    if (r.startNs < s) s = r.startNs;
    if (r.endNs > e) e = r.endNs;
  }
  return Number(e - s);
}

/** {@link wallNs} of the workers' `result` messages (their `startNs` and `endNs` fields). */
export function resultsWallNs(results: readonly unknown[]): number {
  return wallNs(results.map((r) => ({ startNs: ns(r, 'startNs'), endNs: ns(r, 'endNs') })));
}

/** The sum of the number field `key` over the workers' `result` messages. */
export function sumOf(results: readonly unknown[], key: string): number {
  return results.reduce<number>((a, r) => a + num(r, key), 0);
}
