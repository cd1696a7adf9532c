/**
 * Per use (issue 15): one process, nobody else, and every use is open + acquire + release +
 * close, as with a path-based API. Ours (a new LocksFile per use), fs-ext used well with an
 * open/close around it, and the path-based peers, which always work this way (proper-lockfile,
 * lockfile, cross-process-lock). Same calibrated measurement as the uncontended pair.
 *
 * @packageDocumentation
 */
import type { Row, Workload } from '../harness/types';
import { interleaved } from './interleave';
import { uncontendedSession } from './uncontended';

/** Path-based peers that open or create a file on every use anyway. */
const PATH_PEERS = ['proper-lockfile', 'proper-lockfile-sync', 'lockfile', 'lockfile-sync'];

/** The per-use workload. */
export const perUseWorkload: Workload = {
  id: 'per-use',
  title: 'Per use: open, acquire, release, close (one process)',
  primary: { metric: 'µs/pair', unit: 'µs', better: 'lower' },
  run: (ctx): Promise<Row[]> =>
    interleaved(
      ctx,
      'per-use',
      '',
      ctx.impls.filter((i) => i.perUseOnly === true || PATH_PEERS.includes(i.id)),
      (info) => uncontendedSession(ctx, info, 'per-use'),
      { runTimeoutMs: 30_000 + ctx.config.uncontended.repMs * 10 },
    ),
};
