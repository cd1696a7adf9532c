/**
 * Recovery after a holder's SIGKILL (issue 15): a process holds the lock, another waits for
 * it, the runner kills the holder with SIGKILL, and the waiter's grant is timed from the kill.
 * Kernel locks are released by the kernel when the holder's descriptors close; the
 * path-based peers recover only when their stale time has passed (proper-lockfile: default
 * 10 s, minimum 2 s; lockfile: none by default, 2 s set here). `--quick` leaves out
 * proper-lockfile's 10 s default. Verified: the waiter is granted
 * only after the kill.
 *
 * @packageDocumentation
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImplInfo } from '../adapters/catalog';
import { WorkerGroup } from '../harness/children';
import { nowNs } from '../harness/clock';
import { ns, type WorkerConfig } from '../harness/protocol';
import { resetStateFile } from '../harness/state-file';
import type { Row, RunContext, Workload } from '../harness/types';
import { lower, VerifyError, workerBase, worst } from './common';
import { interleaved, type Session } from './interleave';

/** Kernel-lock implementations and the path-based peers at their stale settings. */
const IDS = [
  'ours-sync',
  'ours-async',
  'ours-shm-async',
  'fs-ext-well',
  'os-lock',
  'raw-fcntl',
  'proper-lockfile',
  'proper-lockfile-stale-2s',
  'lockfile-stale-2s',
];

/** How long the waiter is left waiting before the kill (ms). */
const PARK_MS = 50;

async function recoverySession(ctx: RunContext, info: ImplInfo): Promise<Session> {
  const [holderCfg, waiterCfg] = [0, 1].map((w): WorkerConfig => ({ ...workerBase(ctx, info, `recovery-${info.id}`, w, 2), role: 'sporadic' })) as [
    WorkerConfig,
    WorkerConfig,
  ];
  const waiter = await WorkerGroup.start([waiterCfg]);
  const w = waiter.workers[0];
  return {
    stop: () => waiter.stop(),
    kill: () => waiter.kill(),
    note: `waiter parked ${PARK_MS} ms, then the holder is killed with SIGKILL`,
    async run() {
      resetStateFile(holderCfg.statePath);
      const holder = await WorkerGroup.start([holderCfg]);
      try {
        await holder.all({ cmd: 'run', step: 'hold' });
        w.send({ cmd: 'run', step: 'wait' });
        const granted = w.expect('result');
        await sleep(PARK_MS);
        const killedAt = nowNs();
        await holder.kill();
        const r = await granted;
        const grant = ns(r, 'grantNs');
        if (grant < killedAt) throw new VerifyError('the waiter was granted while the holder was alive: two holders');
        const ms = Number(grant - killedAt) / 1e6;
        return { 'kill→grant': lower(ms, 'ms'), 'kill→grant max': worst(ms, 'ms') };
      } finally {
        await holder.kill();
      }
    },
  };
}

/** The recovery workload. */
export const recoveryWorkload: Workload = {
  id: 'recovery',
  title: "Recovery after the holder's SIGKILL: kill to the waiter's grant",
  primary: { metric: 'kill→grant', unit: 'ms', better: 'lower' },
  run: (ctx): Promise<Row[]> =>
    interleaved(
      ctx,
      'recovery',
      '',
      ctx.impls.filter((i) => IDS.includes(i.id) && !(ctx.config.quick && i.id === 'proper-lockfile')),
      (info) => recoverySession(ctx, info),
      { runTimeoutMs: 40_000, warmupEachRep: false, reps: ctx.config.recoveryReps },
    ),
};
