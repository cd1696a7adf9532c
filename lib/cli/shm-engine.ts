/**
 * The {@link LockEngine} of `locksfile shm NAME`: a {@link ShmLock}, the named mutex that
 * Python's shmlock users of the same name also respect.
 *
 * @packageDocumentation
 */
import { ShmLock } from '../shm-lock/shm-lock';
import type { HeldLock, LockEngine, WaitPlan } from './engine';

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

  async blockers(): Promise<string> {
    const uuid = this.#lock(undefined).debugGetUuidOfLockingLock();
    return uuid === null ? 'nobody now' : `the holder with uuid ${uuid}`;
  }

  async close(): Promise<void> {
    return undefined;
  }
}
