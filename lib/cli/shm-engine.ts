/**
 * The {@link LockEngine} of `locksfile shm NAME`: a {@link ShmLock}, the named mutex that
 * Python's shmlock users of the same name also respect.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { ShmLock } from '../shm-lock/shm-lock';
import type { HeldLock, LockEngine, WaitPlan } from './engine';
import { describePid, fdHolders } from './proc-locks';

/** Locks a shmlock-compatible name. */
export class ShmEngine implements LockEngine {
  readonly target: string;
  readonly #name: string;
  readonly #dir: string | undefined;

  /** Validates the name (throws `InvalidArgumentError`); touches nothing on disk. */
  constructor(name: string, dir: string | undefined) {
    this.#name = name;
    this.#dir = dir;
    this.target = `shm ${this.#lock(undefined).path}`;
  }

  #lock(signal: AbortSignal | undefined): ShmLock {
    return new ShmLock(this.#name, { dir: this.#dir, exitEvent: signal, description: `locksfile CLI pid ${process.pid}` });
  }

  async acquire(plan: WaitPlan, signal: AbortSignal): Promise<HeldLock | null> {
    const lock = this.#lock(signal);
    if (!(await lock.acquire(plan.timeoutMs))) return null;
    return { release: async () => void lock.release(true) };
  }

  /**
   * The holder's uuid from the lock file, and its process: a ShmLock holder keeps a kernel
   * lock on its file, whose descriptor `/proc/PID/fdinfo` shows; a Python shmlock holder
   * keeps none, so only its uuid is known.
   */
  async blockers(): Promise<string> {
    const lock = this.#lock(undefined);
    const uuid = lock.debugGetUuidOfLockingLock();
    if (uuid === null) return 'nobody now';
    let pids: number[] = [];
    try {
      pids = [...new Set(fdHolders(fs.statSync(lock.path)).map((h) => h.pid))];
    } catch {
      // released meanwhile: the uuid is all there is to say
    }
    if (pids.length === 0) return `the holder with uuid ${uuid} (no process visible: a Python shmlock holder keeps no kernel lock)`;
    return `${pids.map(describePid).join(', ')} with uuid ${uuid}`;
  }

  async close(): Promise<void> {
    return undefined;
  }
}
