/**
 * Interleaved repetitions: every implementation of one case is set up first (its workers
 * started and ready), then the repetitions run in rounds, one repetition of each
 * implementation per round (A B C, then C B A, ...), so background load that changes during
 * the run skews all of them alike and repetition k of ours is paired with repetition k of
 * each peer. The first run of each implementation is its cold run, reported apart; every
 * measured repetition is preceded by a short warm-up run of the same implementation.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { withTimeout } from '../harness/children';
import type { Row, RunContext } from '../harness/types';
import { RepMetrics, row, type RepValues } from './common';

/** What a run is for. */
export type RunKind = 'cold' | 'warmup' | 'measured';

/** One implementation's set-up state in one case. */
export interface Session {
  /** Runs once and returns its values (ignored for `warmup`); throws on a failed verification. */
  run(kind: RunKind): Promise<RepValues>;
  /** Ends the workers (gracefully). */
  stop(): Promise<void>;
  /** Ends the workers at once (after a failure or hang). */
  kill(): Promise<void>;
  /** A remark for the row. */
  readonly note?: string;
}

/** Options of {@link interleaved}. */
export interface InterleaveOptions {
  /** Hard timeout of one run, ms. */
  readonly runTimeoutMs: number;
  /** Run a warm-up before every measured repetition (default: yes, except in `--quick` runs, where the cold run is the only warm-up). */
  readonly warmupEachRep?: boolean;
  /** Repetitions (default the run's `--reps`). */
  readonly reps?: number;
}

interface Live {
  readonly info: ImplInfo;
  readonly session: Session;
  readonly metrics: RepMetrics;
  failed: string | null;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs `infos` in interleaved rounds and returns one row each (FAILED rows carry the reason). */
export async function interleaved(
  ctx: RunContext,
  workload: string,
  kase: string,
  infos: readonly ImplInfo[],
  open: (info: ImplInfo) => Promise<Session>,
  o: InterleaveOptions,
): Promise<Row[]> {
  const t0 = Date.now();
  const rows = new Map<string, Row>();
  const live: Live[] = [];
  for (const info of infos) {
    try {
      live.push({ info, session: await withTimeout(open(info), 60_000, 'the set-up'), metrics: new RepMetrics(), failed: null });
    } catch (e) {
      rows.set(info.id, row(workload, kase, info, 'FAILED', {}, message(e)));
      ctx.log(`  ${workload} ${kase} ${info.label}: FAILED: ${message(e)}`);
    }
  }
  const once = async (l: Live, kind: RunKind): Promise<void> => {
    if (l.failed !== null) return;
    try {
      const v = await withTimeout(l.session.run(kind), o.runTimeoutMs, `one ${kind} run`);
      if (kind !== 'warmup') l.metrics.add(v, kind === 'cold');
    } catch (e) {
      l.failed = message(e);
      ctx.log(`  ${workload} ${kase} ${l.info.label}: FAILED: ${l.failed}`);
      await l.session.kill();
    }
  };
  for (const l of live) await once(l, 'cold');
  const reps = o.reps ?? ctx.config.reps;
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? [...live].reverse() : live;
    for (const l of order) {
      if (o.warmupEachRep ?? !ctx.config.quick) await once(l, 'warmup');
      await once(l, 'measured');
    }
  }
  for (const l of live) {
    if (l.failed === null) {
      try {
        await withTimeout(l.session.stop(), 10_000, 'stopping the workers');
      } catch {
        await l.session.kill();
      }
    }
    rows.set(
      l.info.id,
      l.failed === null ? row(workload, kase, l.info, 'ok', l.metrics.build(), l.session.note) : row(workload, kase, l.info, 'FAILED', {}, l.failed),
    );
  }
  ctx.log(`  ${workload} ${kase}: ${live.filter((l) => l.failed === null).length} of ${infos.length} ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return infos.map((i) => rows.get(i.id)!);
}
