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
import { withWorkers } from '../harness/children';
import { num, ns, type WorkerConfig } from '../harness/protocol';
import { readStateFile, resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { startTrack } from '../roles/race';
import { RepMetrics, runCase, startAt, VerifyError, wallNs, workerBase } from './common';

function verifyRace(statePath: string, procs: number, tracks: number, laps: number, violations: number): void {
  if (violations !== 0) throw new VerifyError(`${violations} times a process found its newly locked track occupied (or its own track taken)`);
  const buf = readStateFile(statePath);
  const expected = new Array<number>(tracks).fill(procs * laps);
  for (let w = 0; w < procs; w++) expected[startTrack(w, procs, tracks)]!++;
  for (let t = 0; t < tracks; t++) {
    const visits = buf.length >= t * 8 + 8 ? buf.readUInt32LE(t * 8 + 4) : 0;
    if (visits !== expected[t]) throw new VerifyError(`track ${t} counted ${visits} visits, expected ${expected[t]}`);
  }
}

async function raceCase(ctx: RunContext, info: ImplInfo, procs: number): Promise<{ metrics: ReturnType<RepMetrics['build']> }> {
  const { reps, race } = ctx.config;
  const name = `race-${info.id}-P${procs}`;
  const configs: WorkerConfig[] = [];
  for (let w = 0; w < procs; w++) configs.push({ ...workerBase(ctx, info, name, w, procs), role: 'race', tracks: race.tracks, laps: race.laps });
  const statePath = configs[0]!.statePath;
  return withWorkers(configs, 30_000 + procs * 1000 + reps * race.laps * 400, async (workers) => {
    await Promise.all(workers.map((w) => w.expect('ready')));
    const m = new RepMetrics();
    for (let rep = 0; rep < reps; rep++) {
      resetStateFile(statePath);
      const at = startAt(20 + procs * 6);
      for (const w of workers) w.send({ cmd: 'run', startAtNs: at });
      const results = await Promise.all(workers.map((w) => w.expect('result')));
      verifyRace(statePath, procs, race.tracks, race.laps, results.reduce((a, r) => a + num(r, 'violations'), 0));
      const steps = results.reduce((a, r) => a + num(r, 'steps'), 0);
      const wall = wallNs(results.map((r) => ({ startNs: ns(r, 'startNs'), endNs: ns(r, 'endNs') })));
      m.add('race ms', wall / 1e6, 'ms', 'lower');
      m.add('steps/s', steps / (wall / 1e9), 'steps/s', 'higher');
      m.add('CPU µs/step', results.reduce((a, r) => a + num(r, 'cpuUs'), 0) / steps, 'µs', 'lower');
    }
    await Promise.all(workers.map((w) => w.stop()));
    return { metrics: m.build() };
  });
}

/** The race workload. */
export const raceWorkload: Workload = {
  id: 'race',
  title: 'Race: hand-over-hand walk over a ring of indexed locks',
  primary: { metric: 'race ms', unit: 'ms', better: 'lower' },
  async run(ctx: RunContext): Promise<Row[]> {
    const rows: Row[] = [];
    const { laps, tracks } = ctx.config.race;
    for (const procs of ctx.config.race.procs) {
      for (const info of ctx.impls.filter((i) => i.indexed && i.waits)) {
        rows.push(
          await runCase(ctx, 'race', `P=${procs}`, info, async () => ({
            ...(await raceCase(ctx, info, procs)),
            note: `${tracks} tracks x ${laps} laps per process`,
          })),
        );
      }
    }
    return rows;
  },
};
