/**
 * Workload 6, scale: cost of one more acquire+release pair while many disjoint indices are
 * already held on the same file (`alternating`: adjacent indices, write and read in turn, so
 * nothing merges; `sparse`: every other index, one kernel lock each), and of ranges of growing width.
 * Ours and raw fcntl only; raw fcntl is also measured on a second open file description of the
 * same file while ours holds the locks, so the kernel's share of the cost is visible (Linux walks
 * one list of all locks of the inode on every call). Verified by F_OFD_GETLK probes from that
 * second description: sampled held indices are seen as locked, gaps and the probe index as free.
 *
 * @packageDocumentation
 */
import type { ImplInfo } from '../adapters/catalog';
import { withWorkers } from '../harness/children';
import { num, numbers, str } from '../harness/protocol';
import type { Row, RunContext, Workload } from '../harness/types';
import { metric, row, workerBase } from './common';

const OTHER = { id: 'raw-fcntl-other', label: 'raw fcntl, 2nd OFD on the same file', group: 'baseline' } as const;

async function scaleHolder(ctx: RunContext, info: ImplInfo, measureOther: boolean, sparseMax: number): Promise<Row[]> {
  const { reps, scale } = ctx.config;
  const rows: Row[] = [];
  const expected = scale.widths.length + scale.held.length * 2;
  try {
    await withWorkers(
      [
        {
          ...workerBase(ctx, info, `scale-${info.id}`, 0, 1),
          role: 'scale',
          reps,
          repMs: scale.repMs,
          held: scale.held,
          sparseMax,
          alternatingMax: scale.alternatingMax,
          widths: scale.widths,
          setupBudgetMs: scale.setupBudgetMs,
          measureOther,
        },
      ],
      scale.setupBudgetMs + 120_000,
      async ([w]) => {
        await w.expect('ready');
        for (;;) {
          const m = await w.next();
          if (m.type === 'done') break;
          if (m.type === 'error') throw new Error(String(m.message));
          if (m.type !== 'case') continue;
          const impl = str(m, 'impl');
          const who = impl === OTHER.id ? OTHER : info;
          const kase = str(m, 'case');
          const note = typeof m.note === 'string' ? m.note : undefined;
          if (m.usPerPair === null) {
            rows.push(row('scale', kase, who, m.verified === false ? 'FAILED' : 'n/a', {}, note));
            continue;
          }
          const us = numbers(m, 'usPerPair');
          const metrics = {
            'µs/pair': metric(us, 'µs', 'lower'),
            'pairs/s': metric(
              us.map((x) => 1e6 / x),
              'pairs/s',
              'higher',
            ),
          };
          if (typeof m.setupUsPerLock === 'number') Object.assign(metrics, { 'setup µs/lock': metric([num(m, 'setupUsPerLock')], 'µs', 'lower') });
          rows.push(row('scale', kase, who, 'ok', metrics, note));
          ctx.log(`  scale ${kase} ${who.label}: ${us.map((x) => x.toFixed(2)).join(', ')} µs/pair`);
        }
        await w.stop();
      },
    );
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    ctx.log(`  scale ${info.label}: FAILED: ${msg}`);
    rows.push(row('scale', `after ${rows.length} of ${expected} cases`, info, 'FAILED', {}, msg));
  }
  return rows;
}

/** The scale workload. */
export const scaleWorkload: Workload = {
  id: 'scale',
  title: 'Scale: one more pair with many indices held; wide ranges',
  primary: { metric: 'µs/pair', unit: 'µs', better: 'lower' },
  async run(ctx: RunContext): Promise<Row[]> {
    const ours = ctx.impls.find((i) => i.id === 'ours-sync');
    const raw = ctx.impls.find((i) => i.id === 'raw-fcntl');
    const { sparseMax } = ctx.config.scale;
    const rows: Row[] = [];
    // The expensive sparse setup (O(n^2) in the kernel) runs once, by ours when it is available;
    // raw fcntl on a second description of that file gives the kernel figures next to it.
    if (ours !== undefined) rows.push(...(await scaleHolder(ctx, ours, true, sparseMax)));
    if (raw !== undefined) rows.push(...(await scaleHolder(ctx, raw, ours === undefined, ours === undefined ? sparseMax : Math.min(sparseMax, 10_000))));
    return rows;
  },
};
