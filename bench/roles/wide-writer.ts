/**
 * Worker side of the wide-writer workload (issue 10). Worker 0 is the writer: until the
 * deadline it pauses 5-25 ms, asks for a write lock on `[0, width)` and records how long that
 * took, checks that no reader is inside, holds it `readUs` and releases. Workers 1..n are
 * readers: until the writer is done (state u32 @32 set after its last release, so a wait is
 * never cut short by the readers stopping) they take a read lock on a random single index of
 * the range, mark themselves inside (state byte `worker`), stay busy `readUs`, unmark and
 * release.
 *
 * @packageDocumentation
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAdapter } from '../adapters/registry';
import { awaitable } from '../adapters/types';
import { nowNs, spinUs, waitUntilNs } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNs, cmdNumber, serve } from './io';

/** State offset of the writer's "done" flag. */
const WRITER_DONE = 32;
/** Readers stop at the latest this long after the deadline (the run's hard timeout is longer). */
const READER_OVERTIME_NS = 20_000_000_000n;

/** Serves `run` commands of the wide-writer workload. */
export async function wideWriterRole(cfg: Extract<WorkerConfig, { role: 'wide-writer' }>): Promise<void> {
  const h = (await loadAdapter(cfg.impl)).open(cfg.lockPath);
  const lock = awaitable(h, cfg.impl);
  const st = new StateFile(cfg.statePath);
  const inside = Buffer.alloc(cfg.workers);
  await serve(async (c) => {
    const startAt = cmdNs(c, 'startAtNs');
    const deadline = startAt + BigInt(Math.round(cmdNumber(c, 'durationMs') * 1e6));
    waitUntilNs(startAt);
    if (cfg.worker === 0) {
      const waitsMs: number[] = [];
      let violations = 0;
      while (nowNs() < deadline) {
        await sleep(5 + Math.random() * 20);
        const t = nowNs();
        await lock.acquire(0, true, cfg.width);
        waitsMs.push(Number(nowNs() - t) / 1e6);
        st.readInto(inside, 0);
        if (inside.some((b) => b !== 0)) violations++;
        spinUs(cfg.readUs);
        await lock.release(0, cfg.width);
      }
      st.writeU32(WRITER_DONE, 1);
      return { waitsMs, violations, reads: 0 };
    }
    let reads = 0;
    const limit = deadline + READER_OVERTIME_NS;
    while (st.readU32(WRITER_DONE) === 0 && nowNs() < limit) {
      const i = Math.floor(Math.random() * cfg.width);
      await lock.acquire(i, false);
      st.writeU8(cfg.worker, 1);
      spinUs(cfg.readUs);
      st.writeU8(cfg.worker, 0);
      await lock.release(i);
      reads++;
    }
    return { waitsMs: [], violations: 0, reads };
  });
  await h.close();
}
