/**
 * Fairness (issue 10): P = 2, 4, 8 processes on one write lock (acquire, append one byte to the
 * log, release) for a long stretch, our two APIs and the peers interleaved. The counter session
 * measures what starvation would hide: the share of grants that were hand-overs, hand-overs/s,
 * p99 and worst wait, and the smallest process's share of a fair split.
 *
 * @packageDocumentation
 */
import { counterWorkload } from './counter';

/** Implementations compared for fairness: both our APIs, every kernel-lock peer, raw fcntl. */
const FAIRNESS_IDS = [
  'ours-sync',
  'ours-async',
  'ours-sync-barging',
  'ours-async-barging',
  'fs-ext-sync',
  'fs-ext-async',
  'fs-ext-well',
  'os-lock',
  'raw-fcntl',
  'py-lockf',
];

/** The fairness workload. */
export const fairnessWorkload = counterWorkload({
  id: 'fairness',
  title: 'Fairness: P processes on one write lock, long run',
  primary: { metric: 'hand-over share', unit: '%', better: 'higher' },
  impls: (ctx) => ctx.impls.filter((i) => FAIRNESS_IDS.includes(i.id)),
  procs: (ctx) => ctx.config.fairness.procs,
  options: (ctx) => ({ holdUs: 0, yieldEachOp: false, durationMs: ctx.config.fairness.durationMs }),
  reps: (ctx) => ctx.config.fairness.reps,
});
