/**
 * Ratios of ours against each peer, on a workload's primary metric, only between rows measured
 * in the same run and the same case.
 *
 * @packageDocumentation
 */
import type { Row, Workload } from './types';

/** One comparison: how many times better `ours` is than `other` (> 1: ours better). */
export interface Ratio {
  readonly workload: string;
  readonly case: string;
  readonly ours: string;
  readonly other: string;
  readonly metric: string;
  /** `other / ours` for lower-is-better metrics, `ours / other` for higher-is-better ones. */
  readonly advantage: number;
}

/** Every ours-vs-other ratio of the run. */
export function computeRatios(workloads: readonly Workload[], rows: readonly Row[]): Ratio[] {
  const out: Ratio[] = [];
  for (const w of workloads) {
    const metric = w.primary.metric;
    const inW = rows.filter((r) => r.workload === w.id && r.status === 'ok' && r.metrics[metric] !== undefined);
    for (const o of inW.filter((r) => r.group === 'ours')) {
      for (const p of inW.filter((r) => r.group !== 'ours' && r.case === o.case)) {
        const a = o.metrics[metric].value;
        const b = p.metrics[metric].value;
        out.push({ workload: w.id, case: o.case, ours: o.impl, other: p.impl, metric, advantage: w.primary.better === 'lower' ? b / a : a / b });
      }
    }
  }
  return out;
}

/** Formats an advantage: `12.3x` (ours better) or `0.45x` (ours worse). */
export function fmtAdvantage(a: number): string {
  if (!Number.isFinite(a)) return String(a);
  return a >= 10 ? `${a.toFixed(0)}x` : a >= 1 ? `${a.toFixed(2)}x` : `${a.toFixed(2)}x (worse)`;
}
