/**
 * Worker side of the scale workload (one process). A "holder" (ours or raw fcntl) takes many
 * disjoint single-index locks on one file, and at each checkpoint the cost of one more
 * acquire+release pair is measured: by the holder itself, and (optionally) by raw fcntl on a
 * second open file description of the same file, which shows the kernel's share (Linux keeps
 * one list of locks per inode and walks it on every call). Layouts: `alternating` (adjacent
 * indices, write and read in turn, so neither the kernel nor our set merges them: one entry
 * each) and `sparse` (every other index, write, one entry each). Adjacent same-mode indices
 * would merge into one entry and measure nothing.
 * Range widths are measured on fresh files. Each finished case is sent as a `case` message.
 *
 * @packageDocumentation
 */
import { F_RDLCK, F_UNLCK, F_WRLCK, isLockedElsewhere } from '../adapters/libc';
import type { OursSpec } from '../adapters/ours';
import { openRawSync } from '../adapters/raw-fcntl';
import { nowNs, usBetween } from '../harness/clock';
import type { WorkerConfig } from '../harness/protocol';
import { send } from './io';

/** Locks and unlocks ranges synchronously. */
interface RangeLocker {
  lock(start: number, count: number, write?: boolean): void;
  unlock(start: number, count: number): void;
  close(): void;
}

function rawLocker(path: string): RangeLocker & { readonly fd: number } {
  const h = openRawSync(path);
  return {
    fd: h.fd,
    lock: (s, c, write = true) => h.setRange(write ? F_WRLCK : F_RDLCK, s, c),
    unlock: (s, c) => h.setRange(F_UNLCK, s, c),
    close: () => h.close(),
  };
}

function oursLocker(path: string): RangeLocker {
  // Required here, not imported, so the raw-fcntl holder never loads the library.
  const l = (require('../adapters/ours') as typeof import('../adapters/ours')).loadOurs();
  if (!l.ok || l.module.LocksFile === undefined) throw new Error('LocksFile is not available');
  const lf = new l.module.LocksFile(path);
  const WRITE = { write: true } as const;
  const READ = { write: false } as const;
  const spec = (s: number, c: number): OursSpec => (c === 1 ? s : [s, c]);
  return {
    lock: (s, c, write = true) => {
      if (!lf.acquireSync(spec(s, c), write ? WRITE : READ)) throw new Error(`acquireSync(${s}, ${c}) returned false`);
    },
    unlock: (s, c) => lf.release(spec(s, c)),
    close: () => lf.close(),
  };
}

function lockerFor(impl: string, path: string): RangeLocker {
  if (impl === 'raw-fcntl') return rawLocker(path);
  if (impl === 'ours-sync') return oursLocker(path);
  throw new Error(`scale: no range locker for ${impl}`);
}

/** Median-free timing: `reps` repetitions of `count` pairs, µs per pair each. */
function timePairs(l: RangeLocker, start: number, width: number, reps: number, repMs: number): number[] {
  let n = 4;
  let spent = 0;
  let done = 0;
  while (spent < Math.min(20, repMs) * 1000) {
    const t = nowNs();
    for (let i = 0; i < n; i++) {
      l.lock(start, width);
      l.unlock(start, width);
    }
    spent += usBetween(t, nowNs());
    done += n;
    n *= 2;
  }
  const count = Math.max(10, Math.round((repMs * 1000) / (spent / done)));
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = nowNs();
    for (let i = 0; i < count; i++) {
      l.lock(start, width);
      l.unlock(start, width);
    }
    out.push(usBetween(t, nowNs()) / count);
  }
  return out;
}

/** Runs the scale cases and sends one `case` message each, then `done`. */
export function scaleRole(cfg: Extract<WorkerConfig, { role: 'scale' }>): void {
  const measureOther = cfg.measureOther;
  send('ready');
  const holderId = cfg.impl;
  const emit = (impl: string, kase: string, usPerPair: number[] | null, extra: Record<string, unknown> = {}): void => {
    send('case', { impl, case: kase, usPerPair, ...extra });
  };
  // Range widths on fresh files, nothing else held.
  for (const w of cfg.widths) {
    const file = `${cfg.lockPath}.${holderId}.width`;
    const holder = lockerFor(holderId, file);
    emit(holderId, `width=${w}`, timePairs(holder, 1000, w, cfg.reps, cfg.repMs));
    holder.close();
    if (measureOther) {
      const raw = rawLocker(`${file}.raw`);
      emit('raw-fcntl-other', `width=${w}`, timePairs(raw, 1000, w, cfg.reps, cfg.repMs));
      raw.close();
    }
  }
  for (const layout of ['alternating', 'sparse'] as const) {
    const max = layout === 'sparse' ? cfg.sparseMax : cfg.alternatingMax;
    const file = `${cfg.lockPath}.${holderId}.${layout}`;
    const holder = lockerFor(holderId, file);
    const other = rawLocker(file);
    const stride = layout === 'alternating' ? 1 : 2;
    let held = 0;
    let setupUs = 0;
    let stopped: string | null = null;
    for (const k of cfg.held) {
      const kase = `${layout} held=${k}`;
      if (k > max) stopped ??= `not run: ${layout} setup above ${max} held costs O(n^2) in the kernel (done once per run, by the first holder)`;
      if (stopped !== null) {
        emit(holderId, kase, null, { note: stopped });
        if (measureOther) emit('raw-fcntl-other', kase, null, { note: stopped });
        continue;
      }
      const t = nowNs();
      for (; held < k; held++) {
        holder.lock(held * stride, 1, layout === 'sparse' || (held & 1) === 0);
        if ((held & 1023) === 0 && usBetween(t, nowNs()) + setupUs > cfg.setupBudgetMs * 1000) break;
      }
      setupUs += usBetween(t, nowNs());
      if (held < k) {
        stopped = `setup stopped after ${held} locks: over the ${(cfg.setupBudgetMs / 1000).toFixed(0)} s budget`;
        emit(holderId, kase, null, { note: stopped });
        if (measureOther) emit('raw-fcntl-other', kase, null, { note: stopped });
        continue;
      }
      // Verify: sampled held indices conflict for another OFD; the probe index and (sparse) gaps are free.
      const probe = held * stride + 10;
      let bad = isLockedElsewhere(other.fd, probe, 1) ? 1 : 0;
      for (let i = 0; i < 32; i++) {
        const j = Math.floor((i * held) / 32) * stride;
        if (!isLockedElsewhere(other.fd, j, 1)) bad++;
        if (stride === 2 && isLockedElsewhere(other.fd, j + 1, 1)) bad++;
      }
      const verified = bad === 0;
      const extra = { setupUsPerLock: setupUs / held, verified, note: verified ? undefined : `${bad} probes saw the wrong lock state` };
      emit(holderId, kase, verified ? timePairs(holder, probe, 1, cfg.reps, cfg.repMs) : null, extra);
      if (measureOther) emit('raw-fcntl-other', kase, verified ? timePairs(other, probe, 1, cfg.reps, cfg.repMs) : null, extra);
    }
    other.close();
    holder.close();
  }
  send('done');
}
