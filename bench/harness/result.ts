/**
 * The complete result of one run, as written to `bench/results/<timestamp>.json` and rendered
 * into the Markdown report, the SVG chart and the console table.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import type { Environment } from './environment';
import type { Ratio } from './ratios';
import type { TargetResult } from './targets';
import type { Row, Workload } from './types';

/** One run. */
export interface BenchResult {
  /** ISO start time; also the file-name stem (with `:` replaced). */
  readonly timestamp: string;
  readonly mode: 'quick' | 'full';
  /** Repetitions per measurement (medians are reported). */
  readonly reps: number;
  /** Wall time of the run, seconds. */
  readonly durationS: number;
  readonly environment: Environment;
  /** How our library was loaded, or why it could not be. */
  readonly ours: { readonly loaded: boolean; readonly from?: string; readonly reason?: string };
  /** Every known implementation and why it did not run, if it did not. */
  readonly impls: ReadonlyArray<ImplInfo & { readonly unavailable: string | null }>;
  /** The workloads that ran. */
  readonly workloads: ReadonlyArray<Pick<Workload, 'id' | 'title' | 'primary'>>;
  readonly rows: readonly Row[];
  readonly ratios: readonly Ratio[];
  readonly targets: readonly TargetResult[];
  /** Number of FAILED rows. */
  readonly failed: number;
}
