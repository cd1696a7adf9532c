/**
 * Fairness (issue 10): P = 2, 4, 8 processes on one write lock (acquire, append one byte to the
 * log, release) for a long stretch, our two APIs and the peers interleaved. The counter session
 * measures what starvation would hide: the share of grants that were hand-overs, hand-overs/s,
 * p99 and worst wait, and the smallest process's share of a fair split.
 *
 * @packageDocumentation
 */
import type { Workload } from '../harness/types';
import { counterRows } from './counter';

/** Implementations compared for fairness: both our APIs, every kernel-lock peer, raw fcntl. */
const FAIRNESS_IDS = ['ours-sync', 'ours-async', 'fs-ext-sync', 'fs-ext-async', 'fs-ext-well', 'os-lock', 'raw-fcntl', 'py-lockf'];

/** The fairness workload. */
export const fairnessWorkload: Workload = {
  id: 'fairness',
  title: 'Fairness: P processes on one write lock, long run',
  primary: { metric: 'hand-over share', unit: '%', better: 'higher' },
  run(ctx) {
    const { procs, durationMs, reps } = ctx.config.fairness;
    const impls = ctx.impls.filter((i) => FAIRNESS_IDS.includes(i.id));
    return counterRows(ctx, impls, procs, { workload: 'fairness', holdUs: 0, yieldEachOp: false, durationMs, warmupMs: ctx.config.warmupMs }, reps);
  },
};
