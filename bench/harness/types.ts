/**
 * Shared result and workload types of the benchmark harness.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import type { BenchConfig } from './config';

/** Which way a metric is better. */
export type Better = 'lower' | 'higher';

/** How a metric's repetitions are summarised: the median, or the maximum (worst cases). */
export type Aggregate = 'median' | 'max';

/**
 * One measured quantity of one row. `reps` are the warm (measured) repetitions in run order,
 * each paired with the same-numbered repetition of every other row of the case (they ran in
 * the same interleaved round); `cold` is the first run of the implementation, before any
 * warm-up, kept apart.
 */
export interface Metric {
  /** The reported figure: median of `reps`, or their maximum for worst-case metrics. */
  readonly value: number;
  /** Smallest and largest warm repetition. */
  readonly min: number;
  readonly max: number;
  /** The cold first run, or null when the workload has none. */
  readonly cold: number | null;
  /** Every warm repetition's value, in run order. */
  readonly reps: readonly number[];
  /** How `value` summarises `reps`. */
  readonly aggregate: Aggregate;
  /** Spread flag: max - min exceeds half the median (the figure moves a lot between repetitions). */
  readonly wide: boolean;
  /** Unit shown next to the value, e.g. `'µs'` or `'ops/s'`. */
  readonly unit: string;
  /** Whether lower or higher values are better (drives ratios). */
  readonly better: Better;
}

/** Outcome of one row: measured and verified, failed verification / crashed / hung, or not applicable. */
export type RowStatus = 'ok' | 'FAILED' | 'n/a';

/** One implementation measured in one case of one workload. */
export interface Row {
  /** Workload id, e.g. `'counter'`. */
  readonly workload: string;
  /** Case within the workload, e.g. `'P=4'`; `''` when the workload has one case. */
  readonly case: string;
  /** Implementation id from the catalog. */
  readonly impl: string;
  /** Display label of the implementation. */
  readonly label: string;
  /** `ours`, `peer` or `baseline` (raw fcntl). */
  readonly group: ImplInfo['group'];
  /** `'ok'` only when the workload's own verification passed. */
  readonly status: RowStatus;
  /** Why a row FAILED or is n/a, or a remark on an ok row. */
  readonly note?: string;
  /** Measured metrics by name; empty unless status is `'ok'`. */
  readonly metrics: Readonly<Record<string, Metric>>;
}

/** Everything a workload gets from the runner. */
export interface RunContext {
  /** Parameters of this run (quick or full). */
  readonly config: BenchConfig;
  /** Scratch directory of this run; removed at the end. */
  readonly dir: string;
  /** Implementations usable in this run (ours only when it loads). */
  readonly impls: readonly ImplInfo[];
  /** Progress output. */
  log(message: string): void;
}

/** A benchmark workload: it measures, verifies and returns rows. */
export interface Workload {
  /** Stable id used in file names, `--only` and the report. */
  readonly id: string;
  /** One-line title for the report. */
  readonly title: string;
  /** Metric used for ratios and the chart. */
  readonly primary: { readonly metric: string; readonly unit: string; readonly better: Better };
  /** Runs every case; never throws for a failing implementation (that is a FAILED row). */
  run(ctx: RunContext): Promise<Row[]>;
}
