/**
 * Worker side of the hand-over ping-pong between two processes. In round r the holder is
 * worker r % 2. The holder waits until the other worker has announced it is about to wait,
 * lets it park for `parkUs` (sleeping, so the waiter has a CPU to enter its wait), writes its release timestamp (CLOCK_MONOTONIC, shared by all
 * processes) and releases; the waiter records `return time - release timestamp`.
 *
 * State file: seq u32 @0 (last round whose waiter got the lock), waiting u32 @4 (round the
 * waiter is waiting for), release timestamp i64 @8.
 *
 * @packageDocumentation
 */
import { loadAdapter } from '../adapters/registry';
import { notAcquired } from '../adapters/types';
import { nowNs, sleepSync, usBetween } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { StateFile } from '../harness/state-file';
import { cmdNumber, serve } from './io';

const SPIN_LIMIT_NS = 10_000_000_000n;

/** Serves `hold` (worker 0 takes the lock before a repetition) and `run` commands. */
export async function handoverRole(cfg: Extract<WorkerConfig, { role: 'handover' }>): Promise<void> {
  const h = (await loadAdapter(cfg.impl)).open(cfg.lockPath);
  const st = new StateFile(cfg.statePath);
  const acquire = async (): Promise<void> => {
    const ok = h.mode === 'sync' ? h.acquire(0, true) : await h.acquire(0, true);
    if (ok === false) throw notAcquired(cfg.impl, 0);
  };
  const release = async (): Promise<void> => {
    const r = h.release(0);
    if (r !== undefined) await r;
  };
  const spinUntil = (pos: number, value: number, what: string): void => {
    const limit = nowNs() + SPIN_LIMIT_NS;
    // Polite wait: sleep 20 µs between checks so the other process gets the CPU on a small box.
    while (st.readU32(pos) !== value) {
      if (nowNs() > limit) throw new Error(`peer never ${what} (round ${value})`);
      sleepSync(0.02);
    }
  };
  await serve(async (c) => {
    if (c.cmd === 'hold') {
      await acquire();
      return { holding: true };
    }
    const rounds = cmdNumber(c, 'rounds');
    const samples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === cfg.worker) {
        spinUntil(4, r + 1, 'announced its wait');
        sleepSync(cfg.parkUs / 1000);
        st.writeI64(8, nowNs());
        await release();
        spinUntil(0, r + 1, 'took the lock');
      } else {
        st.writeU32(4, r + 1);
        await acquire();
        const t1 = nowNs();
        samples.push(usBetween(st.readI64(8), t1));
        st.writeU32(0, r + 1);
      }
    }
    if ((rounds - 1) % 2 !== cfg.worker) await release();
    return { samples };
  });
  await h.close();
}
