/**
 * The issue's targets, checked against the rows of one run. A target whose inputs were not
 * measured (implementation unavailable, case not run, row FAILED) says so; a missed target
 * states the measured value or ratio plainly.
 *
 * @packageDocumentation
 */
import { fmt } from './stats';
import type { Row } from './types';

/** Outcome of one target. */
export interface TargetResult {
  /** Stable id. */
  readonly id: string;
  /** The target as stated in the issue. */
  readonly target: string;
  /** `met`, `MISSED`, or `not measured` (with the reason in `measured`). */
  readonly status: 'met' | 'MISSED' | 'not measured';
  /** What was measured, e.g. `'3.1 µs'` or `'ours 12.0x fs-ext'`. */
  readonly measured: string;
}

type Lookup = (workload: string, kase: string, impl: string, metric: string) => number | string;

function lookup(rows: readonly Row[]): Lookup {
  return (workload, kase, impl, metric) => {
    const r = rows.find((x) => x.workload === workload && x.case === kase && x.impl === impl);
    if (r === undefined) return `${impl} not run in ${workload}${kase ? ` ${kase}` : ''}`;
    if (r.status !== 'ok') return `${impl} ${r.status} in ${workload}${kase ? ` ${kase}` : ''}`;
    const m = r.metrics[metric];
    return m === undefined ? `${impl} has no ${metric}` : m.value;
  };
}

function check(id: string, target: string, values: ReadonlyArray<number | string>, test: (v: number[]) => { ok: boolean; measured: string }): TargetResult {
  const missing = values.filter((v): v is string => typeof v === 'string');
  if (missing.length > 0) return { id, target, status: 'not measured', measured: missing.join('; ') };
  const r = test(values as number[]);
  return { id, target, status: r.ok ? 'met' : 'MISSED', measured: r.measured };
}

/** First value that is a number, else the first reason. */
function firstOf(...values: Array<number | string>): number | string {
  return values.find((v) => typeof v === 'number') ?? values[0]!;
}

/** Evaluates every target of the issue. */
export function evaluateTargets(rows: readonly Row[]): TargetResult[] {
  const v = lookup(rows);
  const shmPeers = ['py-shm-50ms', 'py-shm-1ms', 'py-shm-0.1ms'].map((p) => v('counter', 'P=4', p, 'µs/op')).filter((x): x is number => typeof x === 'number');
  const bestShm = shmPeers.length > 0 ? Math.min(...shmPeers) : 'no Python shmlock row at counter P=4';
  const oursShmCounter = firstOf(v('counter', 'P=4', 'ours-shm-async', 'µs/op'), v('counter', 'P=4', 'ours-shm-sync', 'µs/op'));
  const oursShmHandover = firstOf(v('handover', '', 'ours-shm-async', 'hand-over p99'), v('handover', '', 'ours-shm-sync', 'hand-over p99'));
  const oursShmHandoverMax = firstOf(v('handover', '', 'ours-shm-async', 'hand-over max'), v('handover', '', 'ours-shm-sync', 'hand-over max'));
  const ratio = (a: number, b: number): string => `${fmt(a / b)}x`;
  const races = ['ours-sync', 'ours-async'].map((id) => ({ id, ms: v('race', 'P=4', id, 'race ms') }));
  const timed = races.filter((r): r is { id: string; ms: number } => typeof r.ms === 'number').sort((a, b) => a.ms - b.ms);
  const bestRace = timed[0]?.ms ?? races[0]!.ms;
  const bestRaceId = timed[0]?.id ?? 'ours-sync';
  return [
    check('async-pair', 'async uncontended LocksFile pair <= 5 µs', [v('uncontended', '', 'ours-async', 'µs/pair')], ([x]) => ({ ok: x! <= 5, measured: `${fmt(x!)} µs` })),
    check('async-vs-proper-lockfile', 'async pair >= 80x faster than proper-lockfile', [v('uncontended', '', 'proper-lockfile', 'µs/pair'), v('uncontended', '', 'ours-async', 'µs/pair')], ([p, o]) => ({
      ok: p! / o! >= 80,
      measured: `${ratio(p!, o!)} (${fmt(p!)} vs ${fmt(o!)} µs)`,
    })),
    check('async-vs-fs-ext', 'async pair >= 10x faster than fs-ext async flock', [v('uncontended', '', 'fs-ext-async', 'µs/pair'), v('uncontended', '', 'ours-async', 'µs/pair')], ([p, o]) => ({
      ok: p! / o! >= 10,
      measured: `${ratio(p!, o!)} (${fmt(p!)} vs ${fmt(o!)} µs)`,
    })),
    check('sync-vs-raw', 'sync pair within 1.3x of a raw fcntl pair', [v('uncontended', '', 'ours-sync', 'µs/pair'), v('uncontended', '', 'raw-fcntl', 'µs/pair')], ([o, r]) => ({
      ok: o! / r! <= 1.3,
      measured: `${ratio(o!, r!)} of raw (${fmt(o!)} vs ${fmt(r!)} µs)`,
    })),
    check('counter-ops', 'contended counter P=4: >= 2x the ops/s of fs-ext async flock', [v('counter', 'P=4', 'ours-async', 'ops/s'), v('counter', 'P=4', 'fs-ext-async', 'ops/s')], ([o, p]) => ({
      ok: o! / p! >= 2,
      measured: `${ratio(o!, p!)} (${fmt(o!)} vs ${fmt(p!)} ops/s)`,
    })),
    check('counter-handovers', 'contended counter P=4: >= 2x the hand-overs/s of fs-ext async flock', [v('counter', 'P=4', 'ours-async', 'hand-overs/s'), v('counter', 'P=4', 'fs-ext-async', 'hand-overs/s')], ([o, p]) => ({
      ok: o! / p! >= 2,
      measured: `${ratio(o!, p!)} (${fmt(o!)} vs ${fmt(p!)} /s)`,
    })),
    check('counter-loop-delay', 'contended counter P=4: event-loop delay p99 < 5 ms', [v('counter', 'P=4', 'ours-async', 'loop delay p99')], ([x]) => ({ ok: x! < 5, measured: `${fmt(x!)} ms` })),
    check('race', 'race P=4 faster than the Python pylocksfile equivalent (faster of ours sync / async)', [bestRace, v('race', 'P=4', 'py-lockf', 'race ms')], ([o, p]) => ({
      ok: o! < p!,
      measured: `ours (${bestRaceId}) ${fmt(o!)} ms vs Python ${fmt(p!)} ms (Python time ÷ ours = ${ratio(p!, o!)})`,
    })),
    check('shm-average', "ShmLock contended P=4: per-operation average below shmlock's at its best poll interval", [oursShmCounter, bestShm], ([o, p]) => ({
      ok: o! < p!,
      measured: `${fmt(o!)} vs ${fmt(p!)} µs/op`,
    })),
    check('shm-latency', 'ShmLock latency not bounded below by a poll interval (hand-over p99 < 100 µs, the finest shmlock poll)', [oursShmHandover, oursShmHandoverMax], ([p99, max]) => ({
      ok: p99! < 100,
      measured: `p99 ${fmt(p99!)} µs, max ${fmt(max!)} µs`,
    })),
    check('scale-sparse', 'scale: 100,000 held costs <= 2x 100 held (sparse: one kernel lock per index)', [v('scale', 'sparse held=100000', 'ours-sync', 'µs/pair'), v('scale', 'sparse held=100', 'ours-sync', 'µs/pair')], ([big, small]) => ({
      ok: big! / small! <= 2,
      measured: `${ratio(big!, small!)} (${fmt(big!)} vs ${fmt(small!)} µs)`,
    })),
    check('scale-dense', 'scale: 100,000 held costs <= 2x 100 held (dense: adjacent indices)', [v('scale', 'dense held=100000', 'ours-sync', 'µs/pair'), v('scale', 'dense held=100', 'ours-sync', 'µs/pair')], ([big, small]) => ({
      ok: big! / small! <= 2,
      measured: `${ratio(big!, small!)} (${fmt(big!)} vs ${fmt(small!)} µs)`,
    })),
  ];
}
