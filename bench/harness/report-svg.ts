/**
 * Renders a run as a hand-written SVG bar chart: one panel per headline case of each workload,
 * horizontal bars on a log scale, ours highlighted against every peer.
 *
 * @packageDocumentation
 */
import type { BenchResult } from './result';
import { fmt } from './stats';
import type { Row } from './types';

const WIDTH = 980;
const LABEL_W = 330;
const BAR_W = 500;
const BAR_H = 16;
const GAP = 6;
const COLORS: Readonly<Record<Row['group'], string>> = { ours: '#e8590c', baseline: '#495057', peer: '#4c6ef5' };

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The cases shown for a workload: P=4 when it exists, the big scale cases, else every case. */
function headlineCases(workload: string, rows: readonly Row[]): string[] {
  const cases = [...new Set(rows.filter((r) => r.status === 'ok').map((r) => r.case))];
  if (cases.includes('P=4')) return ['P=4'];
  if (workload === 'scale') {
    const pick: string[] = [];
    for (const layout of ['alternating', 'sparse']) {
      const held = cases.filter((c) => c.startsWith(`${layout} held=`)).sort((a, b) => Number(b.split('=')[1]) - Number(a.split('=')[1]));
      if (held[0] !== undefined) pick.push(held[0]);
    }
    const widest = cases.filter((c) => c.startsWith('width=')).sort((a, b) => Number(b.split('=')[1]) - Number(a.split('=')[1]));
    if (widest[0] !== undefined) pick.push(widest[0]);
    return pick;
  }
  return cases;
}

function panel(
  title: string,
  unit: string,
  bars: ReadonlyArray<{ label: string; value: number; group: Row['group'] }>,
  y0: number,
): { svg: string[]; height: number } {
  const values = bars.map((b) => b.value).filter((v) => v > 0);
  let lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  if (hi <= lo) hi = lo * 10;
  if (hi / lo < 100) lo = hi / 100;
  const x = (v: number): number => LABEL_W + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * BAR_W;
  const svg: string[] = [];
  svg.push(`<text x="10" y="${y0 + 16}" font-size="14" font-weight="bold">${xml(title)}</text>`);
  const top = y0 + 28;
  const height = bars.length * (BAR_H + GAP);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const gx = x(d).toFixed(1);
    svg.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${top + height}" stroke="#dee2e6"/>`);
    svg.push(`<text x="${gx}" y="${top + height + 14}" font-size="10" text-anchor="middle" fill="#495057">${xml(fmt(d))}</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * (BAR_H + GAP);
    const w = Math.max(1, x(b.value) - LABEL_W);
    const bold = b.group === 'ours' ? ' font-weight="bold"' : '';
    svg.push(`<text x="${LABEL_W - 8}" y="${y + 12}" font-size="12" text-anchor="end"${bold}>${xml(b.label)}</text>`);
    svg.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[b.group]}"/>`);
    svg.push(`<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + 12}" font-size="11"${bold}>${xml(`${fmt(b.value)} ${unit}`)}</text>`);
  });
  return { svg, height: 28 + height + 30 };
}

/** The SVG chart of a run. */
export function renderSvg(res: BenchResult): string {
  const body: string[] = [];
  let y = 50;
  for (const w of res.workloads) {
    const rows = res.rows.filter((r) => r.workload === w.id);
    for (const kase of headlineCases(w.id, rows)) {
      const ok = rows.filter((r) => r.case === kase && r.status === 'ok' && r.metrics[w.primary.metric] !== undefined);
      if (ok.length === 0) continue;
      const sign = w.primary.better === 'lower' ? 1 : -1;
      const order = (r: Row): number => (r.group === 'ours' ? 0 : 1);
      ok.sort((a, b) => order(a) - order(b) || sign * (a.metrics[w.primary.metric].value - b.metrics[w.primary.metric].value));
      const bars = ok.map((r) => ({ label: r.label, value: r.metrics[w.primary.metric].value, group: r.group }));
      const title = `${w.title}${kase ? `, ${kase}` : ''}: ${w.primary.metric} (${w.primary.better} is better, log scale)`;
      const p = panel(title, w.primary.unit, bars, y);
      body.push(...p.svg);
      y += p.height;
    }
  }
  const legend = (['ours', 'peer', 'baseline'] as const)
    .map(
      (g, i) =>
        `<rect x="${10 + i * 150}" y="30" width="12" height="12" fill="${COLORS[g]}"/><text x="${28 + i * 150}" y="40" font-size="12">${g === 'baseline' ? 'raw fcntl baseline' : g}</text>`,
    )
    .join('');
  const heading = `locksfile benchmark ${res.timestamp} (${res.mode}, medians of ${res.reps})${res.ours.loaded ? '' : ': ours not available in this run'}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="16" font-weight="bold">${xml(heading)}</text>`,
    legend,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
