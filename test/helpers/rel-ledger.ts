/**
 * The shared state file of the reliability workload ("ledger"): one row per participant
 * (a process's main thread or one of its worker threads), in which the participant records,
 * for every lock index it holds, the mode it holds it in, and its counters.
 *
 * The check is lock-free: a holder marks its indices after the kernel granted them (and
 * lowers or clears its marks *before* it downgrades or releases), then reads every row and
 * verifies that no other live participant has a conflicting mark on the indices it holds.
 * If two owners ever held conflicting locks at once, both would have marked and at least one
 * would see the other's mark.
 *
 * A SIGKILLed participant cannot clear its marks, while the kernel drops its locks: marks of
 * a dead process (gone, zombie, or dying: re-checked after a short pause) are stale and are
 * ignored; the supervisor zeroes the rows of a child once it has reaped it.
 *
 * Row layout (512 bytes): int32 pid @0, int32 phase @4, float64 counters @8.., one byte
 * per lock index @256 (0 free, 1 read, 2 write), ShmLock mark @HEADER_SHM.
 */
import * as fs from 'node:fs';
import { sleepSync } from './sleep';

/** Lock indices the workload uses. */
export const INDICES = 256;
/** Bytes per participant row. */
export const ROW = 512;
/** Rows in a ledger (participant slots). */
export const SLOTS = 64;

const PID = 0;
const PHASE = 4;
const COUNTERS = 8;
const SHM_MARK = 128;
const MARKS = 256;

/** What a participant is doing, for the supervisor's choice of victim. */
export enum Phase {
  Idle = 0,
  Waiting = 1,
  Holding = 2,
  Releasing = 3,
  ShmWaiting = 4,
  ShmHolding = 5,
  ShmReleasing = 6,
  Starting = 7,
}

export const PHASE_NAMES: Record<Phase, string> = {
  [Phase.Idle]: 'idle',
  [Phase.Waiting]: 'waiting',
  [Phase.Holding]: 'holding',
  [Phase.Releasing]: 'releasing',
  [Phase.ShmWaiting]: 'shm-acquire',
  [Phase.ShmHolding]: 'shm-holding',
  [Phase.ShmReleasing]: 'shm-release',
  [Phase.Starting]: 'starting',
};

/** Counters every participant keeps in its row. */
export const COUNTER_NAMES = [
  'ops', // completed LocksFile operations (acquires, conversions, releases, timeouts, aborts)
  'grants', // LocksFile acquires that were granted
  'fairGrants', // of which through a fair instance (first acquires of a round)
  'shmOps', // completed ShmLock acquire attempts
  'shmGrants', // ShmLock acquires that were granted
  'violations', // conflicting marks seen while holding, or held() disagreeing with the model
  'stalls', // waits beyond the bound while the range was free
  'errors', // unexpected exceptions
  'busyInFlight', // sync acquires refused (LockBusyError) while an abandoned async one settled
  'beat', // Date.now() of the last completed operation
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;

export function zeroCounters(): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Counters;
}

/** A conflicting mark found by a check. */
export interface Conflict {
  readonly slot: number;
  readonly pid: number;
  readonly index: number; // lock index, or -1 for the ShmLock
  readonly mark: number;
}

/** 'alive', or why a pid cannot hold locks any more. */
export function liveness(pid: number): 'alive' | 'dead' {
  if (pid <= 0) return 'dead';
  if (pid === process.pid) return 'alive';
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X' || state === 'x' ? 'dead' : 'alive';
  } catch {
    return 'dead';
  }
}

/** Creates (or resets) a ledger file of {@link SLOTS} zeroed rows. */
export function createLedger(path: string): void {
  fs.writeFileSync(path, Buffer.alloc(SLOTS * ROW));
}

/** Zeroes the rows of `slots` (done by the supervisor after reaping their process). */
export function clearRows(path: string, slots: readonly number[]): void {
  const fd = fs.openSync(path, 'r+');
  try {
    const zero = Buffer.alloc(ROW);
    for (const slot of slots) fs.writeSync(fd, zero, 0, ROW, slot * ROW);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads every row: pid, phase and counters (for the supervisor). */
export function readRows(path: string): Array<{ slot: number; pid: number; phase: Phase; counters: Counters }> {
  const buf = fs.readFileSync(path);
  const rows = [];
  for (let slot = 0; slot < SLOTS; slot++) {
    const base = slot * ROW;
    const counters = zeroCounters();
    COUNTER_NAMES.forEach((name, i) => (counters[name] = buf.readDoubleLE(base + COUNTERS + 8 * i)));
    rows.push({ slot, pid: buf.readInt32LE(base + PID), phase: buf.readInt32LE(base + PHASE) as Phase, counters });
  }
  return rows;
}

/** One participant's view of the ledger: its own row to write, everyone's rows to check. */
export class Ledger {
  readonly #fd: number;
  readonly #slot: number;
  readonly #base: number;
  readonly #all = Buffer.alloc(SLOTS * ROW);
  readonly #header = Buffer.alloc(MARKS);
  readonly #marks = new Uint8Array(INDICES);
  readonly counters = zeroCounters();

  constructor(path: string, slot: number) {
    this.#fd = fs.openSync(path, 'r+');
    this.#slot = slot;
    this.#base = slot * ROW;
    // Start from a clean row (a previous occupant may have been killed).
    fs.writeSync(this.#fd, Buffer.alloc(ROW), 0, ROW, this.#base);
    this.#header.writeInt32LE(process.pid, PID);
    this.#header.writeInt32LE(Phase.Starting, PHASE);
    this.flush();
  }

  get slot(): number {
    return this.#slot;
  }

  /** The marks this participant has written (its model of what it holds). */
  get marks(): Uint8Array {
    return this.#marks;
  }

  /** Writes the header: pid, phase and counters. */
  flush(): void {
    COUNTER_NAMES.forEach((name, i) => this.#header.writeDoubleLE(this.counters[name], COUNTERS + 8 * i));
    fs.writeSync(this.#fd, this.#header, 0, SHM_MARK + 1, this.#base);
  }

  phase(phase: Phase): void {
    this.#header.writeInt32LE(phase, PHASE);
    fs.writeSync(this.#fd, this.#header, PHASE, 4, this.#base + PHASE);
  }

  /** Sets this participant's mark on `[start, end)` to `mark` (0 free, 1 read, 2 write). */
  mark(start: number, end: number, mark: 0 | 1 | 2): void {
    this.#marks.fill(mark, start, end);
    fs.writeSync(this.#fd, this.#marks, start, end - start, this.#base + MARKS + start);
  }

  /** Sets the mark of only those indices of `[start, end)` whose mark is `from`. */
  remark(start: number, end: number, from: 0 | 1 | 2, to: 0 | 1 | 2): void {
    let changed = false;
    for (let i = start; i < end; i++) {
      if (this.#marks[i] === from) {
        this.#marks[i] = to;
        changed = true;
      }
    }
    if (changed) fs.writeSync(this.#fd, this.#marks, start, end - start, this.#base + MARKS + start);
  }

  markShm(held: boolean): void {
    this.#header[SHM_MARK] = held ? 2 : 0;
    fs.writeSync(this.#fd, this.#header, SHM_MARK, 1, this.#base + SHM_MARK);
  }

  /**
   * Checks every index this participant marks (and the ShmLock if marked) against every
   * other row. A conflict whose process is dying is re-checked after a pause and ignored
   * once that process is dead. Returns the confirmed conflicts (empty when all is well).
   */
  check(): Conflict[] {
    const found = this.#scan();
    if (found.length === 0) return found;
    // A process that was just SIGKILLed has lost its locks before it became a zombie: give it
    // time to finish dying, then keep only conflicts of processes that are still alive.
    // Dying can take a while on a loaded machine; a live holder stays alive, so waiting up to a
    // second only delays the report of a real violation.
    let suspects = found.filter((c) => liveness(c.pid) === 'alive');
    for (let waited = 0; suspects.length > 0 && waited < 1000; waited += 20) {
      sleepSync(20);
      suspects = suspects.filter((c) => liveness(c.pid) === 'alive');
    }
    return suspects;
  }

  #scan(): Conflict[] {
    fs.readSync(this.#fd, this.#all, 0, this.#all.length, 0);
    const out: Conflict[] = [];
    const mine = this.#marks;
    const shm = this.#header[SHM_MARK] === 2;
    for (let slot = 0; slot < SLOTS; slot++) {
      if (slot === this.#slot) continue;
      const base = slot * ROW;
      const pid = this.#all.readInt32LE(base + PID);
      if (pid === 0) continue;
      if (shm && this.#all[base + SHM_MARK] === 2) out.push({ slot, pid, index: -1, mark: 2 });
      for (let i = 0; i < INDICES; i++) {
        const m = mine[i] ?? 0;
        if (m === 0) continue;
        const other = this.#all[base + MARKS + i] ?? 0;
        if (other === 2 || (other === 1 && m === 2)) {
          out.push({ slot, pid, index: i, mark: other });
          break;
        }
      }
    }
    return out;
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
