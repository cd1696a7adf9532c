/**
 * Command-line options and the parameters of a quick or full run.
 *
 * @packageDocumentation
 */

/** Parameters of one benchmark run. */
export interface BenchConfig {
  /** `--quick`: fewer cases and shorter runs (whole run under a minute). */
  readonly quick: boolean;
  /** Repetitions of every measurement; the median is reported (at least 3). */
  readonly reps: number;
  /** Workload ids to run (`--only=a,b`), or null for all. */
  readonly only: readonly string[] | null;
  /** Implementation ids to run (`--impls=a,b`), or null for all. */
  readonly impls: readonly string[] | null;
  /** Directory that receives `<timestamp>.json/.md/.svg`. */
  readonly outDir: string | null;
  /** Keep the scratch directory (`--keep`), for debugging. */
  readonly keep: boolean;
  /** Warm-up run before every measured repetition of the time-based workloads, ms. */
  readonly warmupMs: number;
  /** Uncontended pair: time per repetition and warm-up, in ms. */
  readonly uncontended: { readonly repMs: number; readonly warmupMs: number };
  /** Contended counter: process counts and time per repetition (ms). */
  readonly counter: { readonly procs: readonly number[]; readonly durationMs: number };
  /** Hand-over-hand race: process counts, laps and tracks. */
  readonly race: { readonly procs: readonly number[]; readonly laps: number; readonly tracks: number };
  /** Ping-pong hand-over: rounds per repetition and how long a holder lets the waiter park (µs). */
  readonly handover: { readonly rounds: number; readonly parkUs: number };
  /** Shared readers: process counts and time per repetition (ms). */
  readonly readers: { readonly procs: readonly number[]; readonly durationMs: number };
  /**
   * Scale: counts of held indices, the largest sparse count (each sparse lock is a separate
   * kernel entry, and setting them up costs O(n^2)), range widths, time per measurement (ms)
   * and the setup budget (ms) after which a case is reported n/a.
   */
  readonly scale: {
    readonly held: readonly number[];
    readonly sparseMax: number;
    /** The largest alternating (write/read, adjacent) count: O(n^2) set-up like sparse. */
    readonly alternatingMax: number;
    readonly widths: readonly number[];
    readonly repMs: number;
    readonly setupBudgetMs: number;
  };
  /** Fairness (issue 10): process counts on one write lock and time per repetition (ms). */
  readonly fairness: { readonly procs: readonly number[]; readonly durationMs: number; readonly reps: number };
  /** Wide writer on [0, width) against narrow readers holding `readUs` each; time per repetition (ms). */
  readonly wideWriter: { readonly readers: number; readonly width: number; readonly readUs: number; readonly durationMs: number };
  /** Sporadic contention: idle time between contended acquires (ms), holder's release delay (ms), repetitions. */
  readonly sporadic: { readonly idleMs: number; readonly releaseDelayMs: number; readonly reps: number };
  /** Many waiters in one process: pending acquire counts, measuring window (ms), repetitions. */
  readonly manyWaiters: { readonly counts: readonly number[]; readonly settleMs: number; readonly windowMs: number; readonly reps: number };
  /** Worker threads of one process contending: thread counts and time per repetition (ms). */
  readonly threads: { readonly procs: readonly number[]; readonly durationMs: number };
  /** 1,000 distinct locks: processes, lock count, time per repetition (ms). */
  readonly manyLocks: { readonly procs: number; readonly locks: number; readonly durationMs: number };
  /** Recovery after a holder's SIGKILL: repetitions (each costs up to a peer's stale time). */
  readonly recoveryReps: number;
  /** Event-loop health: processes, time per repetition (ms) and busy time inside the lock (µs). */
  readonly eventLoop: { readonly procs: number; readonly durationMs: number; readonly holdUs: number };
}

/** Names of all workloads, in run order. */
export const WORKLOAD_IDS = [
  'uncontended',
  'counter',
  'fairness',
  'wide-writer',
  'sporadic',
  'threads',
  'many-waiters',
  'many-locks',
  'per-use',
  'recovery',
  'race',
  'handover',
  'readers',
  'scale',
  'event-loop',
] as const;

function listArg(args: readonly string[], name: string): string[] | null {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  if (a === undefined) return null;
  return a
    .slice(name.length + 3)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Builds the configuration from `process.argv.slice(2)`; throws on an unknown option. */
export function parseArgs(args: readonly string[]): BenchConfig {
  const known = ['--quick', '--keep', '--only=', '--impls=', '--out=', '--reps='];
  for (const a of args) {
    if (!known.some((k) => (k.endsWith('=') ? a.startsWith(k) : a === k))) {
      throw new Error(`unknown option ${a}; known: --quick --keep --only=ids --impls=ids --out=dir --reps=n`);
    }
  }
  const quick = args.includes('--quick');
  const repsArg = args.find((a) => a.startsWith('--reps='));
  const reps = repsArg === undefined ? (quick ? 3 : 5) : Number(repsArg.slice(7));
  if (!Number.isInteger(reps) || reps < 3) throw new Error('--reps must be an integer >= 3 (medians of at least 3)');
  const only = listArg(args, 'only');
  for (const id of only ?? []) {
    if (!(WORKLOAD_IDS as readonly string[]).includes(id)) throw new Error(`unknown workload ${id}; known: ${WORKLOAD_IDS.join(', ')}`);
  }
  const outArg = args.find((a) => a.startsWith('--out='));
  return {
    quick,
    reps,
    only,
    impls: listArg(args, 'impls'),
    outDir: outArg === undefined ? null : outArg.slice(6),
    keep: args.includes('--keep'),
    warmupMs: quick ? 20 : 50,
    uncontended: quick ? { repMs: 40, warmupMs: 20 } : { repMs: 200, warmupMs: 100 },
    counter: quick ? { procs: [4], durationMs: 60 } : { procs: [4], durationMs: 300 },
    race: quick ? { procs: [4], laps: 20, tracks: 50 } : { procs: [2, 4, 8], laps: 100, tracks: 50 },
    handover: quick ? { rounds: 40, parkUs: 300 } : { rounds: 200, parkUs: 300 },
    readers: quick ? { procs: [4], durationMs: 60 } : { procs: [1, 4, 8], durationMs: 150 },
    scale: quick
      ? { held: [100, 10_000, 100_000], sparseMax: 10_000, alternatingMax: 10_000, widths: [1, 1000, 1e9], repMs: 30, setupBudgetMs: 20_000 }
      : { held: [100, 10_000, 100_000], sparseMax: 100_000, alternatingMax: 10_000, widths: [1, 1000, 1e9], repMs: 150, setupBudgetMs: 180_000 },
    fairness: quick ? { procs: [4], durationMs: 250, reps: 3 } : { procs: [2, 4, 8], durationMs: 1000, reps: 3 },
    wideWriter: { readers: 3, width: 64, readUs: 200, durationMs: quick ? 300 : 1500 },
    sporadic: { idleMs: 1500, releaseDelayMs: 2, reps: quick ? 3 : 8 },
    manyWaiters: quick ? { counts: [64], settleMs: 200, windowMs: 150, reps: 2 } : { counts: [1, 8, 32, 64, 256], settleMs: 300, windowMs: 200, reps: 3 },
    threads: quick ? { procs: [4], durationMs: 100 } : { procs: [4], durationMs: 300 },
    manyLocks: { procs: 4, locks: 1000, durationMs: quick ? 100 : 300 },
    recoveryReps: quick ? 1 : 3,
    eventLoop: quick ? { procs: 4, durationMs: 60, holdUs: 200 } : { procs: 4, durationMs: 300, holdUs: 200 },
  };
}
