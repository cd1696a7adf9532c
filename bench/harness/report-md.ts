/**
 * Renders a run as a Markdown report: targets, then one table per workload case with every
 * metric and the ratio of ours against each peer.
 *
 * @packageDocumentation
 */
import { fmtAdvantage } from './ratios';
import type { BenchResult } from './result';
import { fmt } from './stats';
import type { Metric, Row } from './types';

const WORKLOAD_NOTES: Readonly<Record<string, string>> = {
  uncontended:
    'One process, nobody else: back-to-back acquire + release of one lock. Verified: every repetition completed its pair count (exclusion itself is verified by the contended counter).',
  counter:
    "P processes, one lock; each operation reads a counter file, writes counter+1 and logs its worker id. Verified: the counter equals the operations performed and the log holds each worker's count exactly. Hand-overs = consecutive operations by different processes. Acquire latency includes waiting.",
  race: "pylocksfile's testRace: P processes walk hand-over-hand over a ring of indexed locks (lock next, then release current). Verified: no track was ever found occupied and every visit count is exact.",
  handover:
    'Two processes ping-pong one lock; the holder stamps CLOCK_MONOTONIC just before releasing, the waiter measures to its own return. Verified: no waiter returned before the release.',
  readers: 'P processes take and release the same read lock. Verified: all P hold it at once at the start of every repetition.',
  scale:
    'Cost of one more acquire+release pair with N indices held on the same file (alternating = adjacent indices, write and read in turn, so no two merge; sparse = every other index, one kernel lock each), and of ranges of growing width. "raw fcntl, 2nd OFD" measures the kernel alone on the same file. Verified by F_OFD_GETLK probes.',
  fairness:
    "The contended counter (acquire, append one byte to the log, release) run longer, for fairness: hand-over share = grants that went to a different process than the previous grant; min share = the smallest process's operations ÷ a fair split.",
  'wide-writer':
    'One process asks for a write lock on [0, 64) every 5-25 ms while 3 processes keep taking 0.2 ms read locks on random single indices of it. Verified: no reader is inside while the writer holds.',
  sporadic:
    "One contended acquire per repetition, at least 1.5 s after the previous one: the holder releases 2 ms after the waiter's call; release→grant is the waiter's return minus the release time. Verified: no grant before the release.",
  threads: 'The contended counter with its workers as worker threads of one process, each with its own handle. Verified as the counter.',
  'many-waiters':
    'Another process holds n locks; one process has n acquires pending on them (n indices of one file, or n files). While they wait: RSS growth per waiting request, event-loop delay, fs.readFile latency (capped at the window when the pool is starved); then release to first and last grant. Verified: no grant before the release.',
  'many-locks': 'P processes each take one of 1,000 locks at random per operation and increment its counter. Verified: the counters add up to the operations.',
  'per-use': 'One process: open + acquire + release + close per use, as a path-based API does.',
  recovery:
    'A holder is killed with SIGKILL while another process waits; time from the kill to the grant. Path-based peers recover only after their stale time.',
  'event-loop':
    'P processes contend; each operation is busy inside the lock, and every process yields to its event loop after each operation. monitorEventLoopDelay p99 of the worst process (1 ms resolution, so ~1 ms is the floor). Counter verified as above.',
};

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * One figure: the reported value (median, or the true maximum for worst-case metrics), the
 * range over the warm repetitions, a WIDE flag when they spread by more than half the median,
 * and the cold first run for the primary and worst-case metrics.
 */
function cell(v: Metric | undefined, primary: boolean): string {
  if (v === undefined) return '';
  const range = v.reps.length > 1 ? ` [${fmt(v.min)}–${fmt(v.max)}]` : '';
  const cold = v.cold !== null && (primary || v.aggregate === 'max') ? `; cold ${fmt(v.cold)}` : '';
  return `${fmt(v.value)} ${v.unit}${v.aggregate === 'max' ? ' (max)' : ''}${range}${v.wide ? ' **WIDE**' : ''}${cold}`;
}

function caseTable(res: BenchResult, workload: string, kase: string, rows: readonly Row[]): string[] {
  const w = res.workloads.find((x) => x.id === workload)!;
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].filter((m) => m !== 'operations');
  metricNames.sort((a, b) => (a === w.primary.metric ? -1 : b === w.primary.metric ? 1 : 0));
  const ours = rows.filter((r) => r.group === 'ours' && r.status === 'ok');
  const head = [
    'implementation',
    'status',
    ...metricNames.map((m) => `${m}${m === w.primary.metric ? ' (primary)' : ''}`),
    ...ours.map((o) => `${o.label} advantage`),
    'note',
  ];
  const lines = [`| ${head.map(esc).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [r.group === 'ours' ? `**${r.label}**` : r.label, r.status === 'ok' ? 'ok' : `**${r.status}**`];
    for (const m of metricNames) cells.push(cell(r.metrics[m], m === w.primary.metric));
    for (const o of ours) {
      const ratio = res.ratios.find((x) => x.workload === workload && x.case === kase && x.ours === o.impl && x.other === r.impl);
      cells.push(ratio === undefined ? (r.impl === o.impl ? '—' : '') : fmtAdvantage(ratio.advantage));
    }
    cells.push(r.note ?? '');
    lines.push(`| ${cells.map(esc).join(' | ')} |`);
  }
  return lines;
}

/** The Markdown report. `chartFile` is the SVG's file name (same directory). */
export function renderMarkdown(res: BenchResult, chartFile: string): string {
  const e = res.environment;
  const out: string[] = [];
  out.push(`# locksfile benchmark, ${res.timestamp}`, '');
  const warmup =
    res.mode === 'quick'
      ? 'no warm-up between repetitions in a quick run (the cold run is the warm-up)'
      : 'each measured repetition after a short warm-up run (except sporadic, many-waiters and recovery, where idle time is the point)';
  out.push(
    `- Mode: **${res.mode}**, ${res.reps} warm repetitions per figure (fairness, sporadic, many-waiters and recovery set their own, see the JSON), ${res.durationS.toFixed(0)} s in total. The implementations of one case run interleaved: one repetition of each per round (A B C, C B A, ...), ${warmup}; the first run of each implementation is reported apart as "cold".`,
  );
  out.push(
    '- Cells: median `[min–max over the warm repetitions]`; worst-case metrics (marked "(max)") report the true maximum over all warm repetitions. **WIDE**: the repetitions spread by more than half the median. A target is met only when every paired repetition (same round) meets it.',
  );
  out.push(`- Machine: ${e.cpu}, ${e.cores} cores, ${e.memoryGiB} GiB; ${e.kernel}; Node ${e.node}; ${e.python}.`);
  const busy = Math.max(e.loadAverage.start, e.loadAverage.end) > e.cores / 2;
  out.push(`- Lock paths: scratch directory on ${e.lockFs.scratch}; /dev/shm on ${e.lockFs.shm}.`);
  out.push(
    `- Load average (1 min) at start / end: ${e.loadAverage.start.toFixed(2)} / ${e.loadAverage.end.toFixed(2)}${busy ? ' — **the machine was busy with other work; absolute figures are inflated and noisy, compare ratios only**' : ''}.`,
  );
  out.push(
    res.ours.loaded ? `- Ours: loaded from \`${res.ours.from}\`.` : `- Ours: **not available in this run**: ${res.ours.reason}. Ratios and targets need it.`,
  );
  const unavailable = res.impls.filter((i) => i.unavailable !== null);
  if (unavailable.length > 0) out.push(`- Not run: ${unavailable.map((i) => `${i.label} (${i.unavailable})`).join('; ')}.`);
  out.push(
    res.failed > 0
      ? `- **${res.failed} row(s) FAILED** (crash, hang or failed verification; no figure is reported for them).`
      : '- Every measured row passed its own verification.',
  );
  out.push('', `![ours against each peer, log scale](${chartFile})`, '');
  out.push('## Targets', '', '| target | measured | status |', '|---|---|---|');
  for (const t of res.targets) out.push(`| ${esc(t.target)} | ${esc(t.measured)} | ${t.status === 'met' ? 'met' : `**${t.status}**`} |`);
  out.push(
    '',
    '"Advantage" columns: how many times better ours is than that row on the primary metric (time: other ÷ ours; rate: ours ÷ other), both measured in this run; below 1x ours is worse.',
    '',
  );
  out.push('## Implementations', '', '| implementation | what one operation does | lock path filesystem | ran |', '|---|---|---|---|');
  for (const i of res.impls) {
    const fsName = i.lockDir === 'shm' ? `${e.lockFs.shm} (/dev/shm)` : e.lockFs.scratch;
    out.push(`| ${esc(i.label)} | ${esc(i.how)} | ${esc(fsName)} | ${i.unavailable === null ? 'yes' : esc(`no: ${i.unavailable}`)} |`);
  }
  for (const w of res.workloads) {
    out.push('', `## ${w.title}`, '', `${WORKLOAD_NOTES[w.id] ?? ''} Primary metric: ${w.primary.metric} (${w.primary.better} is better).`);
    const rows = res.rows.filter((r) => r.workload === w.id);
    for (const kase of [...new Set(rows.map((r) => r.case))]) {
      if (kase !== '') out.push('', `### ${w.id} ${kase}`);
      out.push(
        '',
        ...caseTable(
          res,
          w.id,
          kase,
          rows.filter((r) => r.case === kase),
        ),
      );
    }
  }
  out.push('', '## Repetitions', '', 'Every repetition of every figure is in the JSON file next to this report (`rows[].metrics[].reps`).', '');
  return out.join('\n');
}
