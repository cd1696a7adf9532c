/**
 * The issues' targets, checked against the rows of one run. A target counts as met only when
 * every paired repetition meets it: repetition k of ours against repetition k of the peer
 * (they ran in the same interleaved round); single-row targets must hold in every
 * repetition. A target whose inputs were not measured (implementation unavailable, case not
 * run, row FAILED) says so; a missed one states the median and the range over repetitions.
 * No target rests on ops/s alone: contended targets also require the hand-over rate or the
 * worst wait.
 *
 * @packageDocumentation
 */
import { fmt } from './stats';
import type { Metric, Row } from './types';

/** Outcome of one target. */
export interface TargetResult {
  /** Stable id. */
  readonly id: string;
  /** The target as stated in the issue. */
  readonly target: string;
  /** `met`, `MISSED`, or `not measured` (with the reason in `measured`). */
  readonly status: 'met' | 'MISSED' | 'not measured';
  /** What was measured: the median figure, its range over the paired repetitions, how many met. */
  readonly measured: string;
}

type Input = Metric | string;

function lookup(rows: readonly Row[]): (workload: string, kase: string, impl: string, metric: string) => Input {
  return (workload, kase, impl, metric) => {
    const r = rows.find((x) => x.workload === workload && x.case === kase && x.impl === impl);
    if (r === undefined) return `${impl} not run in ${workload}${kase ? ` ${kase}` : ''}`;
    if (r.status !== 'ok') return `${impl} ${r.status} in ${workload}${kase ? ` ${kase}` : ''}`;
    return r.metrics[metric] ?? `${impl} has no ${metric} in ${workload}`;
  };
}

/** One figure derived from the paired repetition values of the inputs, and whether it passes. */
interface Rule {
  readonly figure: (values: readonly number[]) => number;
  readonly ok: (figure: number) => boolean;
  readonly show: (figure: number) => string;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A target over paired repetitions: met only when every repetition's figure passes. */
function paired(id: string, target: string, inputs: readonly Input[], rule: Rule): TargetResult {
  const missing = inputs.filter((v): v is string => typeof v === 'string');
  if (missing.length > 0) return { id, target, status: 'not measured', measured: missing.join('; ') };
  const ms = inputs as Metric[];
  const n = Math.min(...ms.map((m) => m.reps.length));
  const figures: number[] = [];
  for (let k = 0; k < n; k++) figures.push(rule.figure(ms.map((m) => m.reps[k])));
  const passed = figures.filter(rule.ok).length;
  const range = `${rule.show(Math.min(...figures))} .. ${rule.show(Math.max(...figures))}`;
  return { id, target, status: passed === n ? 'met' : 'MISSED', measured: `${rule.show(median(figures))} (repetitions ${range}; ${passed} of ${n} met)` };
}

/** Several paired targets that must all hold (e.g. ops/s and hand-overs/s). */
function all(id: string, target: string, parts: readonly TargetResult[]): TargetResult {
  const status = parts.some((p) => p.status === 'not measured') ? 'not measured' : parts.every((p) => p.status === 'met') ? 'met' : 'MISSED';
  return { id, target, status, measured: parts.map((p) => `${p.target}: ${p.measured}`).join('; ') };
}

const atMost = (limit: number, unit: string): Rule => ({ figure: ([x]) => x, ok: (x) => x <= limit, show: (x) => `${fmt(x)} ${unit}` });
const atLeast = (limit: number, unit: string): Rule => ({ figure: ([x]) => x, ok: (x) => x >= limit, show: (x) => `${fmt(x)} ${unit}` });
/** Ratio of the first input to the second at least `limit` (higher-is-better figures). */
const ratioAtLeast = (limit: number): Rule => ({ figure: ([a, b]) => a / b, ok: (x) => x >= limit, show: (x) => `${fmt(x)}x` });
/** Ratio of the first input to the second at most `limit`. */
const ratioAtMost = (limit: number): Rule => ({ figure: ([a, b]) => a / b, ok: (x) => x <= limit, show: (x) => `${fmt(x)}x` });

/** The contended targets of issue 10 for one of our APIs in the fairness workload at P=4. */
function fairness(v: ReturnType<typeof lookup>, impl: string): TargetResult {
  const m = (name: string): Input => v('fairness', 'P=4', impl, name);
  return all(`fairness-${impl}`, `fairness P=4 (${impl}): >= 50% hand-overs, worst wait <= 50 ms, every process >= 0.5 of its fair share`, [
    paired('share', 'hand-over share', [m('hand-over share')], atLeast(50, '%')),
    paired('worst', 'worst wait', [m('worst wait')], atMost(50, 'ms')),
    paired('min', 'min share', [m('min share')], atLeast(0.5, 'x fair')),
  ]);
}

/** Evaluates every target. */
export function evaluateTargets(rows: readonly Row[]): TargetResult[] {
  const v = lookup(rows);
  const counter = (impl: string, name: string): Input => v('counter', 'P=4', impl, name);
  return [
    paired('async-pair', 'async uncontended LocksFile pair <= 5 µs', [v('uncontended', '', 'ours-async', 'µs/pair')], atMost(5, 'µs')),
    paired(
      'sync-vs-raw',
      'sync pair <= 1.5x a raw fcntl pair',
      [v('uncontended', '', 'ours-sync', 'µs/pair'), v('uncontended', '', 'raw-fcntl', 'µs/pair')],
      ratioAtMost(1.5),
    ),
    all('counter-vs-naive', 'contended counter P=4, ours async against fs-ext naive async: >= 2x ops/s AND >= 2x hand-overs/s', [
      paired('ops', 'ops/s ratio', [counter('ours-async', 'ops/s'), counter('fs-ext-async', 'ops/s')], ratioAtLeast(2)),
      paired('ho', 'hand-overs/s ratio', [counter('ours-async', 'hand-overs/s'), counter('fs-ext-async', 'hand-overs/s')], ratioAtLeast(2)),
    ]),
    all('counter-vs-well', 'contended counter P=4, ours async against fs-ext used well: >= 1x ops/s AND >= 1x hand-overs/s AND worst wait no worse', [
      paired('ops', 'ops/s ratio', [counter('ours-async', 'ops/s'), counter('fs-ext-well', 'ops/s')], ratioAtLeast(1)),
      paired('ho', 'hand-overs/s ratio', [counter('ours-async', 'hand-overs/s'), counter('fs-ext-well', 'hand-overs/s')], ratioAtLeast(1)),
      paired('worst', 'worst wait ratio (ours / fs-ext)', [counter('ours-async', 'worst wait'), counter('fs-ext-well', 'worst wait')], ratioAtMost(1)),
    ]),
    paired('counter-loop-delay', 'contended counter P=4: event-loop delay p99 < 5 ms (ours async)', [counter('ours-async', 'loop delay p99')], {
      ...atMost(5, 'ms'),
      ok: (x) => x < 5,
    }),
    fairness(v, 'ours-async'),
    fairness(v, 'ours-sync'),
    ...['ours-async', 'ours-sync'].map((impl) =>
      paired(
        `wide-writer-${impl}`,
        `wide write on [0, 64) against 3 narrow readers (${impl}): granted within 200 ms every time`,
        [v('wide-writer', '', impl, 'worst wait')],
        atMost(200, 'ms'),
      ),
    ),
    ...['ours-async', 'ours-sync'].map((impl) =>
      paired(
        `sporadic-${impl}`,
        `sporadic contention (${impl}): release to grant <= 5 ms after 1.5 s idle, in every round`,
        [v('sporadic', '', impl, 'release→grant')],
        atMost(5, 'ms'),
      ),
    ),
    paired(
      'race',
      'race P=4 faster than the Python pylocksfile equivalent (ours sync)',
      [v('race', 'P=4', 'ours-sync', 'race ms'), v('race', 'P=4', 'py-lockf', 'race ms')],
      ratioAtMost(1),
    ),
    paired('shm-latency', 'ShmLock hand-over p99 < 1 ms', [v('handover', '', 'ours-shm-async', 'hand-over p99')], {
      ...atMost(1000, 'µs'),
      ok: (x) => x < 1000,
    }),
    paired(
      'scale-sparse',
      'scale: 100,000 held costs <= 2x 100 held (sparse: one kernel lock per index)',
      [v('scale', 'sparse held=100000', 'ours-sync', 'µs/pair'), v('scale', 'sparse held=100', 'ours-sync', 'µs/pair')],
      ratioAtMost(2),
    ),
    paired(
      'scale-alternating',
      'scale: with 10,000 alternating read/write indices held (no two merge), ours costs <= 1.3x raw fcntl on a 2nd OFD of the same file',
      [v('scale', 'alternating held=10000', 'ours-sync', 'µs/pair'), v('scale', 'alternating held=10000', 'raw-fcntl-other', 'µs/pair')],
      ratioAtMost(1.3),
    ),
  ];
}
