/**
 * The {@link LockEngine} of `locksfile name NAME`: a Web Locks request on a lock manager of
 * this package (the local {@link LockManager}, or any other {@link LockManagerLike}), held
 * for as long as the command runs.
 *
 * @packageDocumentation
 */
import type { LockManagerLike } from '../lock-manager/types';
import type { CliMode, HeldLock, LockEngine, WaitPlan } from './engine';

/** A lock manager the engine can also close when done. */
export interface ClosableLockManager extends LockManagerLike {
  close(): void | Promise<void>;
}

/** Locks a name of a lock manager's namespace. */
export class NameEngine implements LockEngine {
  readonly target: string;

  /** `where` names the namespace in messages (registry path, database). */
  constructor(
    private readonly manager: ClosableLockManager,
    private readonly name: string,
    where: string,
  ) {
    this.target = `name ${JSON.stringify(name)} in ${where}`;
  }

  acquire(plan: WaitPlan, signal: AbortSignal): Promise<HeldLock | null> {
    const ifAvailable = plan.timeoutMs === 0;
    const wait = ifAvailable || plan.timeoutMs === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(plan.timeoutMs)]);
    return new Promise((resolve, reject) => {
      let granted = false;
      const options = ifAvailable ? { mode: plan.mode, ifAvailable } : { mode: plan.mode, signal: wait };
      const done = this.manager.request(this.name, options, (lock) => {
        if (lock === null) {
          resolve(null);
          return undefined;
        }
        granted = true;
        return new Promise<void>((release) => {
          resolve({
            release: async () => {
              release();
              await done.catch(() => undefined);
            },
          });
        });
      });
      done.catch((err: unknown) => {
        if (!granted) {
          if (wait.aborted) resolve(null);
          else reject(err);
          return;
        }
        process.stderr.write(
          `locksfile: ${this.target} was taken away (${err instanceof Error ? err.message : String(err)}); the command goes on without it\n`,
        );
      });
    });
  }

  async blockers(mode: CliMode): Promise<string> {
    const snapshot = await this.manager.query();
    const mine = (e: { name: string }): boolean => e.name === this.name;
    const held = snapshot.held.filter(mine).filter((e) => mode === 'exclusive' || e.mode === 'exclusive');
    const queue = snapshot.pending.filter(mine);
    const own = queue.findIndex((e) => e.clientId === this.manager.clientId);
    const ahead = own < 0 ? queue : queue.slice(0, own);
    if (held.length === 0 && ahead.length === 0) return 'nobody now';
    const who = held.map((e) => `${e.clientId} (${e.mode})`).join(', ');
    const before = ahead.length === 0 ? '' : `${held.length === 0 ? '' : '; '}${ahead.length} request${ahead.length === 1 ? '' : 's'} queued ahead`;
    return `${who}${before}`;
  }

  async close(): Promise<void> {
    await this.manager.close();
  }
}
