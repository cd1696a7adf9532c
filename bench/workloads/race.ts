/**
 * Workload 3, race (pylocksfile's testRace): P processes walk hand-over-hand over a ring of
 * tracks (lock index next, then release the current one) for a number of laps, all on one lock
 * file. Indexed implementations only; the Python stdlib equivalent (fcntl.lockf on byte n) is
 * the reference. Verified: no process ever found a track occupied, and every track's visit
 * count is exact.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import type { WorkerConfig } from '../harness/protocol';
import { readStateFile, resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { startTrack } from '../roles/race';
import { higher, lower, resultsWallNs, startAt, sumOf, VerifyError, workerBase } from './common';
import { interleaved, type Session } from './interleave';

function verifyRace(statePath: string, procs: number, tracks: number, laps: number, violations: number): void {
  if (violations !== 0) throw new VerifyError(`${violations} times a process found its newly locked track occupied (or its own track taken)`);
  const buf = readStateFile(statePath);
  const expected = new Array<number>(tracks).fill(procs * laps);
  for (let w = 0; w < procs; w++) expected[startTrack(w, procs, tracks)]++;
  for (let t = 0; t < tracks; t++) {
    const visits = buf.length >= t * 8 + 8 ? buf.readUInt32LE(t * 8 + 4) : 0;
    if (visits !== expected[t]) throw new VerifyError(`track ${t} counted ${visits} visits, expected ${expected[t]}`);
  }
}

async function raceSession(ctx: RunContext, info: ImplInfo, procs: number): Promise<Session> {
  const { race } = ctx.config;
  const name = `race-${info.id}-P${procs}`;
  const configs: WorkerConfig[] = [];
  for (let w = 0; w < procs; w++) configs.push({ ...workerBase(ctx, info, name, w, procs), role: 'race', tracks: race.tracks, laps: race.laps });
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs);
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    note: `${race.tracks} tracks x ${race.laps} laps per process`,
    async run(kind) {
      resetStateFile(statePath);
      const laps = kind === 'warmup' ? Math.max(2, Math.round(race.laps / 5)) : race.laps;
      const results = await g.all({ cmd: 'run', startAtNs: startAt(20 + procs * 6), laps });
      verifyRace(statePath, procs, race.tracks, laps, sumOf(results, 'violations'));
      const steps = sumOf(results, 'steps');
      const wall = resultsWallNs(results);
      return {
        'race ms': lower(wall / 1e6, 'ms'),
        'steps/s': higher(steps / (wall / 1e9), 'steps/s'),
        'CPU µs/step': lower(sumOf(results, 'cpuUs') / steps, 'µs'),
      };
    },
  };
}

/** The race workload. */
export const raceWorkload: Workload = {
  id: 'race',
  title: 'Race: hand-over-hand walk over a ring of indexed locks',
  primary: { metric: 'race ms', unit: 'ms', better: 'lower' },
  async run(ctx: RunContext): Promise<Row[]> {
    const rows: Row[] = [];
    const impls = ctx.impls.filter((i) => i.indexed && i.waits && i.orderOnly !== true);
    for (const procs of ctx.config.race.procs) {
      rows.push(
        ...(await interleaved(ctx, 'race', `P=${procs}`, impls, (info) => raceSession(ctx, info, procs), {
          runTimeoutMs: 30_000 + procs * 1000 + ctx.config.race.laps * 400,
        })),
      );
    }
    return rows;
  },
};
