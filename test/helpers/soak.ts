/**
 * `npm run soak -- --minutes N [--seed S] [--processes P]`: the reliability workload at length.
 *
 * 1. invariant stress (about 20% of the time): processes with worker threads doing random
 *    LocksFile (sync/async) and ShmLock operations, every holder checking the shared ledger;
 * 2. chaos (about 60%): the same workload while random participants are SIGKILLed at random
 *    moments and replaced;
 * in both, half of the participant threads use fair instances (`fair: true`, the others
 * `fair: false`) and some rounds increment the exact counter (test/helpers/rel-counter.ts);
 * 3. fuzzed API input (the rest): every public entry point with random arguments.
 *
 * Prints progress and a final summary (operations, kills, violations, stalls, bad inputs
 * tried, ...); exits 1 when any figure that must be zero is not.
 */
import * as fs from 'node:fs';
import { formatSummary, runStress, type StressSummary } from './rel-stress';
import { createFuzzer, prepareSandbox, shmFuzzTargets } from './rel-fuzz';
import { tmpDir } from './paths';
import { freshSeed, Random } from './random';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expects a positive number`);
  return value;
}

const log = (line: string): void => void process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  const minutes = option('minutes', 5);
  const seed = option('seed', freshSeed());
  const processes = option('processes', 5);
  const totalMs = minutes * 60_000;
  const t0 = Date.now();
  const rnd = new Random(seed);
  log(`${minutes} min, seed ${seed}, ${processes} processes`);
  const runs: Array<{ name: string; s: StressSummary }> = [];

  const stressDir = tmpDir('locksfile-soak-');
  try {
    log('phase 1: invariant stress');
    const stress = await runStress({
      dir: stressDir,
      processes,
      threads: [2, 1, 0, 0, 0],
      durationMs: totalMs * 0.2,
      killEveryMs: null,
      stallMs: 10_000,
      shmShare: 0.15,
      fairShare: 0.5,
      seed: rnd.int(2 ** 31),
      log,
    });
    runs.push({ name: 'stress', s: stress });
    for (const line of formatSummary(stress)) log(`  ${line}`);
  } finally {
    fs.rmSync(stressDir, { recursive: true, force: true });
  }

  const chaosDir = tmpDir('locksfile-soak-');
  try {
    log('phase 2: chaos (SIGKILL)');
    const chaos = await runStress({
      dir: chaosDir,
      processes,
      threads: [1, 0, 0, 0, 0],
      durationMs: totalMs * 0.6,
      killEveryMs: 15,
      stallMs: 10_000,
      shmShare: 0.15,
      fairShare: 0.5,
      pauseMs: 2,
      seed: rnd.int(2 ** 31),
      log,
    });
    runs.push({ name: 'chaos', s: chaos });
    for (const line of formatSummary(chaos)) log(`  ${line}`);
  } finally {
    fs.rmSync(chaosDir, { recursive: true, force: true });
  }

  log('phase 3: fuzzed API input');
  const sandbox = tmpDir('locksfile-soak-fuzz-');
  const closeSandbox = await prepareSandbox(sandbox);
  const fuzzer = createFuzzer({ sandbox, extra: shmFuzzTargets(sandbox) });
  let tried = 0;
  let rejected = 0;
  const failures = new Map<string, string>();
  try {
    const end = t0 + totalMs;
    do {
      for (const target of fuzzer.targets) {
        const r = await fuzzer.run(target, 1000, rnd.int(2 ** 31));
        tried += r.tried;
        rejected += r.rejected;
        if (r.failure !== null && !failures.has(target)) failures.set(target, r.failure.split('\n').slice(0, 5).join(' | '));
      }
      log(`  ${tried} calls so far (${rejected} refused with a typed error), ${failures.size} entry points failing`);
    } while (Date.now() < end);
  } finally {
    fuzzer.close();
    closeSandbox();
    fs.rmSync(sandbox, { recursive: true, force: true });
  }

  const sum = (f: (s: StressSummary) => number): number => runs.reduce((acc, r) => acc + f(r.s), 0);
  const figures = {
    operations: sum((s) => s.counters.ops + s.counters.shmOps),
    kills: sum((s) => s.kills),
    violations: sum((s) => s.counters.violations),
    stalls: sum((s) => s.counters.stalls),
    stuck: sum((s) => s.stuck),
    deadNamedLocks: sum((s) => s.deadNamedLocks),
    errors: sum((s) => s.counters.errors),
    crashes: sum((s) => s.crashes),
    leftovers: sum((s) => s.leftovers.length),
    counterWrong: sum((s) => s.counter.wrong),
    badInputsTried: tried,
    badInputsRefused: rejected,
    fuzzFailures: failures.size,
  };
  const bad =
    figures.violations +
    figures.stalls +
    figures.stuck +
    figures.deadNamedLocks +
    figures.errors +
    figures.crashes +
    figures.leftovers +
    figures.fuzzFailures +
    figures.counterWrong;
  process.stdout.write('\n==== soak summary ====\n');
  process.stdout.write(`duration:           ${((Date.now() - t0) / 60_000).toFixed(1)} min (seed ${seed})\n`);
  process.stdout.write(`operations:         ${figures.operations} (LocksFile ${sum((s) => s.counters.ops)}, ShmLock ${sum((s) => s.counters.shmOps)})\n`);
  process.stdout.write(`kills:              ${figures.kills} (replacements ${sum((s) => s.replacements)})\n`);
  for (const r of runs) process.stdout.write(`  ${r.name} kills by phase: ${JSON.stringify(r.s.killsByPhase)}\n`);
  process.stdout.write(`violations:         ${figures.violations}\n`);
  process.stdout.write(
    `exact counter:      ${sum((s) => s.counter.increments)} increments, ${figures.counterWrong} wrong records; fair grants ${sum((s) => s.counters.fairGrants)} of ${sum((s) => s.counters.grants)}\n`,
  );
  process.stdout.write(`stalls:             ${figures.stalls} (stuck participants ${figures.stuck}, dead named locks ${figures.deadNamedLocks})\n`);
  process.stdout.write(
    `bad inputs tried:   ${figures.badInputsTried} (refused with a typed error ${figures.badInputsRefused}; entry points failing ${figures.fuzzFailures})\n`,
  );
  process.stdout.write(`unexpected errors:  ${figures.errors}, crashes ${figures.crashes}, leftover locks ${figures.leftovers}\n`);
  for (const [target, failure] of failures) process.stdout.write(`fuzz failure ${target}: ${failure}\n`);
  for (const r of runs) for (const d of r.s.details.slice(0, 10)) process.stdout.write(`${r.name}: ${d.slice(0, 400)}\n`);
  process.stdout.write(`${bad === 0 ? 'PASS' : 'FAIL'}\n`);
  process.exit(bad === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
