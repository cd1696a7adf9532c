/**
 * Sporadic contention (issue 15): a lock that is contended only now and then. Each repetition
 * is one round, at least `idleMs` (1.5 s) after the implementation's previous round: the holder
 * takes the lock, the waiter calls acquire, the holder releases 2 ms after that call. Reported:
 * release to grant (the waiter's return), and call to grant. No warm-up before a round: the
 * idle time before it is the point. Verified: no grant before the release.
 *
 * @packageDocumentation
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { ns, type WorkerConfig } from '../harness/protocol';
import { resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { lower, VerifyError, workerBase, worst } from './common';
import { interleaved, type Session } from './interleave';

async function sporadicSession(ctx: RunContext, info: ImplInfo): Promise<Session> {
  const { idleMs, releaseDelayMs } = ctx.config.sporadic;
  const configs: WorkerConfig[] = [0, 1].map((w) => ({ ...workerBase(ctx, info, `sporadic-${info.id}`, w, 2), role: 'sporadic' }));
  const statePath = configs[0].statePath;
  const g = await WorkerGroup.start(configs);
  const [holder, waiter] = g.workers as [(typeof g.workers)[0], (typeof g.workers)[0]];
  let last = Date.now();
  return {
    stop: () => g.stop(),
    kill: () => g.kill(),
    note: `one contended acquire per repetition, >= ${idleMs} ms after the previous one; holder releases ${releaseDelayMs} ms after the waiter's call`,
    async run() {
      const idle = last + idleMs - Date.now();
      if (idle > 0) await sleep(idle);
      resetStateFile(statePath);
      holder.send({ cmd: 'run', step: 'hold' });
      await holder.expect('result');
      holder.send({ cmd: 'run', step: 'release', delayMs: releaseDelayMs });
      waiter.send({ cmd: 'run', step: 'wait' });
      const [, w] = await Promise.all([holder.expect('result'), waiter.expect('result')]);
      last = Date.now();
      const release = ns(w, 'releaseNs');
      const grant = ns(w, 'grantNs');
      if (release === 0n || grant < release) throw new VerifyError('the waiter was granted before the holder released: two holders');
      const releaseToGrant = Number(grant - release) / 1e6;
      return {
        'release→grant': lower(releaseToGrant, 'ms'),
        'release→grant max': worst(releaseToGrant, 'ms'),
        'call→grant': lower(Number(grant - ns(w, 'callNs')) / 1e6, 'ms'),
      };
    },
  };
}

/** The sporadic-contention workload. */
export const sporadicWorkload: Workload = {
  id: 'sporadic',
  title: 'Sporadic contention: one contended acquire after 1.5 s idle, released 2 ms after the call',
  primary: { metric: 'release→grant', unit: 'ms', better: 'lower' },
  run: (ctx): Promise<Row[]> =>
    interleaved(
      ctx,
      'sporadic',
      '',
      ctx.impls.filter((i) => i.runtime === 'node' && i.waits && i.orderOnly !== true),
      (info) => sporadicSession(ctx, info),
      {
        runTimeoutMs: 20_000 + ctx.config.sporadic.idleMs,
        warmupEachRep: false,
        reps: ctx.config.sporadic.reps,
      },
    ),
};
