/**
 * Client of `test/fixtures/lf-fair-owner.ts` for the fair-queue order tests: lock owners in
 * child processes (one owner each) or in worker threads of one child, a shared log file in
 * which each owner writes its name while it holds its grant (the log is the grant order),
 * and waits on the kernel's own view (`/proc/locks`) instead of sleeps.
 *
 * `LOCKSFILE_TEST_BARGE=1` in the environment runs the owners (and {@link FairRoom.open}) with
 * `fair: false`: the negative control, under which the order properties are expected to fail.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { type LineChild, spawnNode } from './children';
import { untilKernel } from './kernel-locks';
import { fixture } from './paths';

/** Whether the owners are fair (false only for the negative control, see the module documentation). */
export const FAIR = process.env.LOCKSFILE_TEST_BARGE !== '1';

/** Hang guard for one awaited event: not a timing claim. */
export const BOUND_MS = 10_000;

/** Where the owners live: one child process each, or worker threads of one child. */
export type Hosts = 'processes' | 'threads';

export type Mode = 'sync' | 'async';

/** A request as the fixture takes it (see lf-fair-owner.ts). */
export interface Ask {
  readonly name: string;
  readonly mode: Mode;
  readonly start?: number;
  readonly count?: number;
  readonly write?: boolean;
  readonly timeout?: number;
  readonly abortAfter?: number;
  readonly hold?: number;
}

/** One owner: a child and its owner number in it. */
export class Owner {
  constructor(
    readonly child: LineChild,
    readonly index: number,
  ) {}

  acquire(ask: Ask): void {
    this.#send({ op: 'acquire', ...ask });
  }

  /** Releases everything and asks again in the same turn (the releaser coming straight back). */
  cycle(ask: Ask): void {
    this.#send({ op: 'cycle', ...ask });
  }

  release(): void {
    this.#send({ op: 'release' });
  }

  /** Consumes this owner's next `event` line; an `error` event of this owner fails instead. */
  async until(event: 'granted' | 'released' | 'timeout' | 'aborted'): Promise<void> {
    const mine = (l: string): { event?: string; owner?: number; message?: string } | undefined => {
      const o = JSON.parse(l) as { event?: string; owner?: number; message?: string };
      return o.owner === this.index ? o : undefined;
    };
    const line = await this.child.takeLine((l) => [event, 'error'].includes(mine(l)?.event ?? ''), BOUND_MS, `owner ${this.index}: ${event}`);
    const o = mine(line);
    if (o?.event === 'error') throw new Error(`owner ${this.index}: ${o.message ?? ''}`);
  }

  /** Whether this owner reported `event` (not consumed). */
  has(event: string): boolean {
    return this.child.has((l) => {
      const o = JSON.parse(l) as { event?: string; owner?: number };
      return o.owner === this.index && o.event === event;
    });
  }

  #send(command: Record<string, unknown>): void {
    this.child.send(JSON.stringify({ ...command, owner: this.index }));
  }
}

/** A lock file, its grant log, and the owners of one test. */
export class FairRoom {
  readonly lockPath: string;
  readonly logPath: string;
  readonly #opened: LocksFile[] = [];

  constructor(dir: string) {
    this.lockPath = path.join(dir, 'fair.lock');
    this.logPath = path.join(dir, 'grants.log');
    fs.writeFileSync(this.logPath, '');
  }

  /** `n` owners hosted as asked; resolves once every one has its file open. */
  async owners(n: number, hosts: Hosts): Promise<Owner[]> {
    const start = async (threads: number): Promise<LineChild> => {
      const child = spawnNode(fixture('lf-fair-owner'), [this.lockPath, this.logPath, FAIR ? '1' : '0', String(threads)]);
      await child.takeLine((l) => l.includes('"event":"ready"'), BOUND_MS, 'ready');
      return child;
    };
    if (hosts === 'threads') {
      const child = await start(n);
      return Array.from({ length: n }, (_, i) => new Owner(child, i));
    }
    const children = await Promise.all(Array.from({ length: n }, () => start(0)));
    return children.map((c) => new Owner(c, 0));
  }

  /** An instance in the test process itself (closed by {@link close}). */
  open(): LocksFile {
    const lf = new LocksFile(this.lockPath, { fair: FAIR });
    this.#opened.push(lf);
    return lf;
  }

  close(): void {
    for (const lf of this.#opened.splice(0)) lf.close();
  }

  /** The names in the log, in grant order. */
  grants(): string[] {
    return fs
      .readFileSync(this.logPath, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  /** Asks with each owner in turn, each once the previous is seen waiting in the kernel (or, barging, granted). */
  async queueInOrder(owners: readonly Owner[], asks: readonly Ask[], alreadyWaiting = 0): Promise<void> {
    for (const [i, o] of owners.entries()) {
      o.acquire(asks[i]);
      await this.untilWaiting(alreadyWaiting + i + 1, () => o.has('granted'));
    }
  }

  /**
   * The hand-over scenario of issue 10, `rounds` times: holder H takes the write lock on index
   * 0, `waiters` owners W1.. queue for it one after the other (each holds 2 ms once granted),
   * H releases and asks again at once. `reuse`: the same owners in every round (from round 2
   * on, each waiter asks for a range it released before); else new owners every round.
   * Returns each round's grants: the first, the set of those between, the last.
   */
  async handOver(o: { hosts: Hosts; holder: Mode; waiter: Mode; waiters: number; rounds: number; reuse: boolean }): Promise<HandOver[]> {
    const names = Array.from({ length: o.waiters }, (_, i) => `W${i + 1}`);
    const rounds: HandOver[] = [];
    let owners = await this.owners(o.waiters + 1, o.hosts);
    for (let round = 1; round <= o.rounds; round++) {
      if (!o.reuse && round > 1) {
        for (const c of new Set(owners.map((w) => w.child))) c.endInput();
        owners = await this.owners(o.waiters + 1, o.hosts);
      }
      const [holder, ...waiters] = owners as [Owner, ...Owner[]];
      const from = this.grants().length;
      holder.acquire({ name: 'H', mode: o.holder });
      await holder.until('granted');
      await this.queueInOrder(
        waiters,
        names.map((name) => ({ name, mode: o.waiter, hold: 2 })),
      );
      holder.cycle({ name: 'H', mode: o.holder });
      await holder.until('granted');
      holder.release();
      await holder.until('released');
      // Consumes each waiter's 'granted' too: a reused owner's stale 'granted' would end the next round's wait for it at once.
      for (const w of waiters) {
        await w.until('granted');
        await w.until('released');
      }
      const log = this.grants().slice(from);
      rounds.push({ round, first: log[0], between: new Set(log.slice(1, -1)), last: log.at(-1) });
    }
    return rounds;
  }

  /**
   * Waits until at least `n` requests are blocked in the kernel on the lock file (every
   * owner that asked is waiting, wherever the protocol parks it), or until `granted` says the
   * owner that asked last was granted instead (barging: the negative control).
   */
  async untilWaiting(n: number, granted: () => boolean = () => false): Promise<void> {
    await untilKernel(this.lockPath, (locks) => granted() || locks.filter((l) => l.blocked).length >= n, `${n} blocked requests`, BOUND_MS);
  }
}

/** One round of {@link FairRoom.handOver}. */
export interface HandOver {
  readonly round: number;
  readonly first: string | undefined;
  readonly between: ReadonlySet<string>;
  readonly last: string | undefined;
}

/** What every round of {@link FairRoom.handOver} must show: H, then every waiter, then H again. */
export function handedOver(rounds: number, waiters: number): HandOver[] {
  const between = new Set(Array.from({ length: waiters }, (_, i) => `W${i + 1}`));
  return Array.from({ length: rounds }, (_, i) => ({ round: i + 1, first: 'H', between, last: 'H' }));
}
