/**
 * Supervisor of the reliability workload: starts participant processes
 * (`test/fixtures/rel-worker.ts`, each with worker threads), optionally SIGKILLs random
 * participants at random moments and starts replacements (chaos), watches every
 * participant's heartbeat, and sums the counters of the shared ledger.
 *
 * Used with small bounds by `test/reliability/stress.test.ts` and at length by
 * `npm run soak` (`test/helpers/soak.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { checkCounter } from './rel-counter';
import { COUNTER_NAMES, type Counters, clearRows, createLedger, Phase, PHASE_NAMES, readRows, SLOTS, zeroCounters } from './rel-ledger';
import { fixture } from './paths';
import { Random } from './random';
import type { WorkerConfig } from '../fixtures/rel-worker';

export interface StressOptions {
  /** Working directory (lock file, ledger, named-lock directory). */
  readonly dir: string;
  /** Participant processes running at once. */
  readonly processes: number;
  /** Worker threads per process, besides its main thread (a list: per process, cycled). */
  readonly threads: number | readonly number[];
  /** How long participants start new rounds (ms). */
  readonly durationMs: number;
  /** SIGKILL a random participant about every this many ms (null: no chaos). */
  readonly killEveryMs: number | null;
  /** Stop the run once this many kills were done (default: run for durationMs). */
  readonly maxKills?: number;
  /** Negative control: every process uses its own lock file, so locks exclude nothing. */
  readonly sabotage?: boolean;
  /** A wait longer than this while its range is free is a stall; no progress for 2x is "stuck". */
  readonly stallMs: number;
  /** Mean pause of participants between rounds, in ms (default 0: they run flat out). */
  readonly pauseMs?: number;
  /** Share of ShmLock rounds (0: ShmLock not used). */
  readonly shmShare: number;
  /** Share of exact-counter rounds (default 0.1). */
  readonly counterShare?: number;
  /** Share of participant threads with a fair instance, the others `fair: false` (default: all with the library's default). */
  readonly fairShare?: number;
  readonly seed: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface StressSummary {
  readonly seed: number;
  readonly durationMs: number;
  readonly counters: Counters;
  readonly kills: number;
  /** For each phase, in how many kills at least one thread of the victim was in it. */
  readonly killsByPhase: Record<string, number>;
  readonly replacements: number;
  /** Participants that made no progress for 2x stallMs (killed and replaced). */
  readonly stuck: number;
  /** Participants that exited abnormally without being killed. */
  readonly crashes: number;
  /**
   * Times the named lock's file stayed unchanged (same inode, same content) for the stall
   * bound: a lock nobody can take any more (e.g. left by a holder killed inside its create).
   * Each one is reported, then removed by the supervisor so that the run goes on.
   */
  readonly deadNamedLocks: number;
  /** Median time from spawn to "ready" of a participant process (ms). */
  readonly startupMs: number;
  /** Locks or named lock still held once every participant has gone. */
  readonly leftovers: string[];
  /** Increments of the exact counter, and its records that are not their position (must be 0). */
  readonly counter: { readonly increments: number; readonly wrong: number };
  /** First reported violations, stalls, errors, crashes (for diagnosis). */
  readonly details: string[];
}

interface Child {
  readonly proc: ChildProcess;
  readonly position: number;
  readonly slots: readonly number[];
  readonly started: number;
  ready: boolean;
  killed: boolean;
  stderr: string;
  readonly exited: Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the workload and resolves with its figures. Never rejects for a failing figure. */
export async function runStress(options: StressOptions): Promise<StressSummary> {
  const { dir, processes, threads } = options;
  const threadList = typeof threads === 'number' ? [threads] : threads;
  const threadsOf = (position: number): number => threadList[position % threadList.length] ?? 0;
  const perChild = Math.max(...threadList) + 1;
  if (processes * perChild > SLOTS) throw new Error(`at most ${SLOTS} participant threads`);
  const log = options.log ?? ((): void => undefined);
  const lockPath = path.join(dir, 'stress.lock');
  const ledgerPath = path.join(dir, 'stress.ledger');
  const shmDir = path.join(dir, 'shm');
  const stopPath = path.join(dir, 'stop');
  const counterPath = path.join(dir, 'stress.counter');
  fs.mkdirSync(shmDir, { recursive: true });
  createLedger(ledgerPath);
  const rnd = new Random(options.seed);
  const t0 = Date.now();
  let deadline = t0 + options.durationMs;
  const totals = zeroCounters();
  const details: string[] = [];
  const killsByPhase: Record<string, number> = {};
  let kills = 0;
  let replacements = 0;
  let stuck = 0;
  let crashes = 0;
  let deadNamedLocks = 0;
  const shmKills: Array<{ at: number; what: string }> = [];
  const live = new Map<number, Child>();
  const startups: number[] = [];
  const note = (line: string): void => {
    if (details.length < 40) details.push(line);
    log(line);
  };

  const start = (position: number): Child => {
    const slots = Array.from({ length: threadsOf(position) + 1 }, (_, i) => position * perChild + i);
    const config: WorkerConfig = {
      lockPath: options.sabotage === true ? `${lockPath}.${position}` : lockPath,
      stopPath,
      ledgerPath,
      slots,
      seed: rnd.int(2 ** 31),
      deadline,
      stallMs: options.stallMs,
      shm: options.shmShare > 0 ? { name: 'stress', dir: shmDir } : null,
      shmShare: options.shmShare,
      pauseMs: options.pauseMs ?? 0,
      counterPath,
      counterShare: options.counterShare ?? 0.1,
      fairShare: options.fairShare,
    };
    const proc = spawn(process.execPath, [fixture('rel-worker'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let resolveExit!: () => void;
    const child: Child = {
      proc,
      position,
      slots,
      started: Date.now(),
      ready: false,
      killed: false,
      stderr: '',
      exited: new Promise<void>((resolve) => (resolveExit = resolve)),
    };
    live.set(position, child);
    let partial = '';
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('ready ')) {
          child.ready = true;
          startups.push(Date.now() - child.started);
        } else if (line.startsWith('violation ') || line.startsWith('stall ') || line.startsWith('error ')) note(`seed ${config.seed}: ${line}`);
      }
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      child.stderr = (child.stderr + chunk).slice(-4000);
    });
    proc.on('exit', (code, signal) => {
      // The kernel dropped the child's locks before it became a zombie; its marks are stale now.
      for (const row of readRows(ledgerPath)) {
        if (!slots.includes(row.slot) || row.pid !== proc.pid) continue;
        for (const name of COUNTER_NAMES) if (name !== 'beat') totals[name] += row.counters[name];
      }
      clearRows(ledgerPath, slots);
      live.delete(position);
      if (!child.killed && (code !== 0 || signal !== null)) {
        crashes++;
        note(`participant ${proc.pid} (seed ${config.seed}) exited with ${code ?? signal}: ${child.stderr.trim().slice(-1500)}`);
      }
      resolveExit();
      if (child.killed && Date.now() < deadline - 200) {
        replacements++;
        start(position);
      }
    });
    return child;
  };

  for (let p = 0; p < processes; p++) start(p);

  // Heartbeat: a participant thread with no completed operation for 2x stallMs is stuck.
  const watch = setInterval(() => {
    const rows = readRows(ledgerPath);
    const now = Date.now();
    for (const child of live.values()) {
      if (!child.ready || child.killed) continue;
      for (const slot of child.slots) {
        const row = rows[slot];
        if (row === undefined || row.pid !== child.proc.pid) continue;
        const last = Math.max(row.counters.beat, child.started);
        if (now - last > 2 * options.stallMs) {
          stuck++;
          note(`participant ${child.proc.pid} slot ${slot} made no progress for ${now - last} ms in phase ${PHASE_NAMES[row.phase]}`);
          child.killed = true;
          child.proc.kill('SIGKILL');
          break;
        }
      }
    }
  }, 250);

  // Named-lock watchdog: holders keep the file for milliseconds, so a file that stays the same
  // for the stall bound belongs to nobody alive and will never be taken again.
  const shmPath = path.join(shmDir, 'stress');
  let seen: { key: string; since: number } | undefined;
  const shmWatch = setInterval(() => {
    let key: string;
    try {
      key = `${fs.statSync(shmPath).ino}:${fs.readFileSync(shmPath).toString('hex')}`;
    } catch {
      seen = undefined;
      return;
    }
    if (seen?.key !== key) {
      seen = { key, since: Date.now() };
      return;
    }
    if (Date.now() - seen.since < options.stallMs) return;
    deadNamedLocks++;
    const content = key.slice(key.indexOf(':') + 1);
    const since = seen.since;
    const before = shmKills
      .filter((k) => k.at <= since)
      .slice(-2)
      .map((k) => k.what);
    note(
      `named lock dead: ${shmPath} unchanged for ${Date.now() - since} ms (${content === '' ? 'empty' : `content ${content}`}), first seen at +${since - t0} ms; last kills in a ShmLock phase before that: ${before.join('; ') || 'none'}; removed to go on`,
    );
    fs.rmSync(shmPath, { force: true });
    seen = undefined;
  }, 250);

  if (options.killEveryMs !== null) {
    const every = options.killEveryMs;
    const targets: Array<Phase | null> = [
      null,
      Phase.Waiting,
      Phase.Holding,
      Phase.Releasing,
      Phase.ShmWaiting,
      Phase.ShmHolding,
      Phase.ShmReleasing,
      Phase.Starting,
    ];
    while (Date.now() < deadline - 500 && (options.maxKills === undefined || kills < options.maxKills)) {
      await sleep(rnd.int(2 * every));
      const target = rnd.pick(targets);
      // Kill mostly participants that are up and working; sometimes one that is starting.
      const eligible = (): Child[] => [...live.values()].filter((c) => !c.killed && c.ready === (target !== Phase.Starting));
      let candidates = eligible();
      while (candidates.length === 0 && Date.now() < deadline - 500) {
        await sleep(5);
        candidates = eligible();
      }
      if (candidates.length === 0) continue;
      let victim: Child | undefined;
      let phases: Phase[] = [];
      const phasesOf = (c: Child, rows: ReturnType<typeof readRows>): Phase[] =>
        c.slots.map((s) => (rows[s]?.pid === c.proc.pid ? (rows[s]?.phase ?? Phase.Starting) : Phase.Starting));
      // Look for a participant in the wanted phase for a little while, else take anyone.
      for (let tries = 0; tries < 20 && victim === undefined; tries++) {
        const rows = readRows(ledgerPath);
        for (const c of candidates) {
          if (c.killed || c.proc.exitCode !== null) continue;
          const ps = phasesOf(c, rows);
          if (target === null || ps.includes(target)) {
            victim = c;
            phases = ps;
            break;
          }
        }
        if (victim === undefined) await sleep(1);
      }
      if (victim === undefined) {
        victim = rnd.pick(candidates);
        phases = phasesOf(victim, readRows(ledgerPath));
      }
      if (victim.killed || victim.proc.exitCode !== null) continue;
      victim.killed = true;
      victim.proc.kill('SIGKILL');
      kills++;
      for (const ph of new Set(phases)) {
        killsByPhase[PHASE_NAMES[ph]] = (killsByPhase[PHASE_NAMES[ph]] ?? 0) + 1;
      }
      if (phases.some((p) => p === Phase.ShmWaiting || p === Phase.ShmHolding || p === Phase.ShmReleasing)) {
        shmKills.push({ at: Date.now(), what: `${victim.proc.pid} (${phases.map((p) => PHASE_NAMES[p]).join(',')}) at +${Date.now() - t0} ms` });
        shmKills.splice(0, shmKills.length - 10);
      }
      if (kills % 100 === 0) log(`${kills} kills, ${Math.round((Date.now() - t0) / 1000)} s`);
    }
    if (options.maxKills !== undefined && kills >= options.maxKills) {
      // Enough kills: let the survivors run one more second, then stop everyone.
      await sleep(1000);
      deadline = Math.min(deadline, Date.now());
      fs.writeFileSync(stopPath, '');
    }
  }

  // Let everyone finish its last round; a participant still running long after is stuck.
  while (Date.now() < deadline) await sleep(Math.min(100, deadline - Date.now()));
  const grace = Date.now() + 3 * options.stallMs;
  while (live.size > 0 && Date.now() < grace) await sleep(50);
  for (const child of live.values()) {
    stuck++;
    note(`participant ${child.proc.pid} did not finish after the deadline: ${child.stderr.trim().slice(-500)}`);
    child.killed = true;
    child.proc.kill('SIGKILL');
  }
  await Promise.all([...live.values()].map((c) => c.exited));
  clearInterval(watch);
  clearInterval(shmWatch);

  const leftovers = leftoverLocks(lockPath, shmPath);
  const counter = checkCounter(counterPath);
  for (const d of counter.details) note(d);
  return {
    seed: options.seed,
    durationMs: Date.now() - t0,
    counters: totals,
    kills,
    killsByPhase,
    replacements,
    stuck,
    crashes,
    deadNamedLocks,
    startupMs: [...startups].sort((a, b) => a - b)[Math.floor(startups.length / 2)] ?? 0,
    leftovers,
    counter: { increments: counter.increments, wrong: counter.wrong },
    details,
  };
}

/** What is still locked once everyone is gone (should be nothing). */
function leftoverLocks(lockPath: string, shmPath: string): string[] {
  const out: string[] = [];
  const lf = new LocksFile(lockPath);
  try {
    const holder = lf.probe([0, 256], { write: true });
    if (holder !== null) out.push(`lock file: ${JSON.stringify(holder)}`);
  } finally {
    lf.close();
  }
  if (fs.existsSync(shmPath)) out.push(`named lock file ${shmPath} still exists`);
  return out;
}

/** One line per figure, for logs and the soak's final summary. */
export function formatSummary(s: StressSummary): string[] {
  const c = s.counters;
  return [
    `seed ${s.seed}, ${(s.durationMs / 1000).toFixed(1)} s`,
    `operations ${c.ops + c.shmOps} (LocksFile ${c.ops}, granted ${c.grants}, of which fair ${c.fairGrants}; ShmLock attempts ${c.shmOps}, granted ${c.shmGrants}; sync refused while an async acquire settled ${c.busyInFlight})`,
    `kills ${s.kills} (replacements ${s.replacements}, median start-up ${s.startupMs} ms; by phase ${JSON.stringify(s.killsByPhase)})`,
    `violations ${c.violations}; exact counter ${s.counter.increments} increments, ${s.counter.wrong} wrong records`,
    `stalls ${c.stalls}, stuck participants ${s.stuck}, dead named locks ${s.deadNamedLocks}`,
    `unexpected errors ${c.errors}, crashes ${s.crashes}, leftovers ${s.leftovers.length}`,
  ];
}
