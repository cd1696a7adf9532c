/**
 * Renders a run as a plain-text table for the terminal.
 *
 * @packageDocumentation
 */
import { fmtAdvantage } from './ratios';
import type { BenchResult } from './result';
import { fmt } from './stats';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The console table: every row's primary metric, its best ratio against ours, then the targets. */
export function renderConsole(res: BenchResult): string {
  const out: string[] = [];
  const e = res.environment;
  if (!res.ours.loaded) out.push(`ours: NOT AVAILABLE: ${res.ours.reason}`);
  if (Math.max(e.loadAverage.start, e.loadAverage.end) > e.cores / 2) {
    out.push(
      `warning: load average ${e.loadAverage.start.toFixed(1)} / ${e.loadAverage.end.toFixed(1)} on ${e.cores} cores: the machine was busy, figures are noisy`,
    );
  }
  for (const w of res.workloads) {
    out.push('', `== ${w.title} [${w.primary.metric}, ${w.primary.better} is better]`);
    for (const r of res.rows.filter((x) => x.workload === w.id)) {
      const m = r.metrics[w.primary.metric];
      const value = r.status !== 'ok' ? `${r.status}${r.note ? `: ${r.note.slice(0, 90)}` : ''}` : m === undefined ? '' : `${fmt(m.value)} ${m.unit}`;
      const ratios = res.ratios
        .filter((x) => x.workload === w.id && x.case === r.case && x.other === r.impl)
        .map((x) => `${x.ours}: ${fmtAdvantage(x.advantage)}`)
        .join(', ');
      out.push(`${pad(r.case, 20)} ${pad(r.group === 'ours' ? `* ${r.label}` : `  ${r.label}`, 42)} ${pad(value, 22)} ${ratios}`);
    }
  }
  out.push('', '== Targets');
  for (const t of res.targets) out.push(`${pad(t.status, 13)} ${pad(t.target, 100)} ${t.measured}`);
  return out.join('\n');
}
