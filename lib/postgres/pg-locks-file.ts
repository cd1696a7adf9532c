/**
 * `PgLocksFile`: the indexed read/write locks of `LocksFile`, held by a PostgreSQL session
 * instead of a lock file, so that processes on several machines exclude each other. Same
 * interval semantics as `LocksFile` (read locks shared, write locks exclusive, acquiring over
 * one's own locks converts the overlap, releasing part of a range keeps the rest), async only.
 *
 * Owner model: one instance = one dedicated session = one lock owner. The server drops the
 * session's locks when it ends (close, process death, network cut); a session that dies
 * under the instance makes it emit `'lost'` and reject every later call with
 * {@link LockLostError}. Representation and its bound: see `blocks.ts` (multi-granularity
 * advisory keys, O(log count) keys per request).
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { DeadlockError, LockCanceledError, LockClosedError, type LockError, type LockLostError, LockSystemError } from '../errors/errors';
import { abortError, describeRange, notAcquired } from '../errors/acquire-error';
import { type Acquire, type AcquireOptions, type LockSpec, type Range, toAcquire, toBoolean, toFunction, toOptions, toRange, toString } from '../args/spec';
import { IntervalSet } from '../ranges/interval-set';
import type { HeldRange, Holder, LockHandle } from '../locks-file/locks-file';
import { type Logger, toLogger } from '../logger';
import { acquireSteps, type Holdings, holdingsOf, probeTargets, releaseSql, stepsSql, undoEntries } from './blocks';
import { QUERY_CANCELED, runStoppable } from './cancel';
import { OwnerState, toOnLost } from './owner';
import { type PgConnection, Session, sqlState, toClientConfig } from './session';
import { advisoryRows, literal } from './sql';

/** Options of {@link PgLocksFile.connect}. */
export interface PgLocksFileOptions {
  /** The lock space: instances with the same space (on the same database) share the indices. Default `'default'`. */
  readonly space?: string;
  /** A name for this owner in log lines and in `pg_stat_activity.application_name`. Default: a random uuid. */
  readonly id?: string;
  /** Where to log (debug lines for every acquire and release). */
  readonly logger?: Logger;
  /** Called once when the session dies (same as the `'lost'` event). */
  readonly onLost?: (error: LockLostError) => void;
}

/** Why an acquire ended before it was granted. */
type Abandon = 'timeout' | 'preempt' | Error;

/** One queued or running acquire. */
class AcquireJob {
  reason: Abandon | undefined;
  running = false;
  answered = false;
  /** Resolves when the job is abandoned (timeout, signal, cancel, close, loss, preemption). */
  stop: Promise<void> = Promise.resolve();
  #stop: () => void = () => undefined;

  constructor(
    readonly range: Range,
    readonly opts: Acquire,
    private readonly resolve: (value: boolean) => void,
    private readonly reject: (error: Error) => void,
    /** Runs once, just before the caller gets its answer (timers, listeners, queue entry). */
    private readonly cleanup: () => void,
  ) {}

  /** Starts an attempt: a fresh {@link stop} (a preempted job runs again after the release). */
  arm(): void {
    this.reason = undefined;
    this.stop = new Promise((res) => (this.#stop = res));
  }

  overlaps(start: number, end: number): boolean {
    return this.range.start < end && start < this.range.start + this.range.count;
  }

  answer(value: boolean | Error): void {
    if (this.answered) return;
    this.answered = true;
    this.cleanup();
    if (value instanceof Error) this.reject(value);
    else this.resolve(value);
  }

  /** Ends the job early; a queued one is answered at once, a running one once its statement unwound. */
  abandon(reason: Abandon): void {
    if (this.answered || (this.reason !== undefined && this.reason !== 'preempt')) return;
    this.reason = reason;
    this.#stop();
    if (!this.running && reason !== 'preempt') this.finish();
  }

  /** Answers an abandoned job (false for a timeout). */
  finish(): void {
    const reason = this.reason;
    if (reason === undefined || reason === 'preempt') return;
    this.answer(reason === 'timeout' ? false : reason);
  }
}

/** A release waiting for the session (releases run before queued acquires). */
interface ReleaseJob {
  readonly range: Range | undefined;
  readonly done: (error?: Error) => void;
}

/** `'lost'`: emitted once when a session of this owner died (the `LockLostError` every later call rejects with). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed 'lost' events on an EventEmitter subclass
export interface PgLocksFile {
  on(event: 'lost', listener: (error: LockLostError) => void): this;
  once(event: 'lost', listener: (error: LockLostError) => void): this;
  off(event: 'lost', listener: (error: LockLostError) => void): this;
}

/** Async indexed read/write locks on a PostgreSQL server. See the module documentation. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class PgLocksFile extends EventEmitter {
  /** The lock space. */
  readonly space: string;
  /** This owner's name. */
  readonly id: string;
  readonly #session: Session;
  readonly #state: OwnerState;
  readonly #logger: Logger | undefined;
  readonly #held = new IntervalSet();
  #holdings: Holdings = new Map();
  readonly #acquires: AcquireJob[] = [];
  readonly #releases: ReleaseJob[] = [];
  #running: AcquireJob | undefined;
  #pumping = false;
  #closing: Promise<void> | undefined;

  private constructor(session: Session, state: OwnerState, space: string, id: string, logger: Logger | undefined) {
    super();
    this.#session = session;
    this.#state = state;
    this.space = space;
    this.id = id;
    this.#logger = logger;
  }

  /**
   * Opens one dedicated session to `connection` (a connection string or a `pg` client
   * config; TCP keep-alive is forced on). Rejects with {@link LockSystemError} when the server
   * cannot be reached, with {@link InvalidArgumentError} for bad arguments.
   */
  static async connect(connection: PgConnection, options?: PgLocksFileOptions): Promise<PgLocksFile> {
    const opts = toOptions(options);
    const space = toString(opts.space, 'options.space', 'default');
    const id = toString(opts.id, 'options.id', randomUUID());
    const logger = toLogger(opts.logger, 'options.logger');
    const onLost = toOnLost(opts.onLost);
    const config = toClientConfig(connection, `locksfile:${id}`.slice(0, 63));
    let self: PgLocksFile | undefined;
    const events = new EventEmitter();
    const state = new OwnerState(config, 'PgLocksFile', events, onLost, (error) => {
      if (self !== undefined) self.#abandonAll(error);
    });
    const session = await Session.open(config, state.markLost);
    self = new PgLocksFile(session, state, space, id, logger);
    events.on('lost', (error: LockLostError) => self?.emit('lost', error));
    self.#log(`connected (server pid ${session.pid})`);
    return self;
  }

  /** The server process id of this owner's session (what `pg_locks.pid` and {@link probe} show). */
  get pid(): number {
    return this.#session.pid;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /**
   * Acquires a read (default) or write lock on `spec`. Resolves true when held; false when
   * `blocking: false` (or `timeout: 0`) found it busy or `timeout` ms ran out. Acquiring over
   * this owner's own locks converts the overlap (a conversion not granted leaves the previous
   * locks in place). Timeout and signal cancel the server-side wait; a grant that won the race
   * is given back, so nothing of a request that did not succeed stays held.
   *
   * Rejects with `LockAbortError` on signal, {@link LockCanceledError} when this instance
   * releases an overlapping range meanwhile, {@link LockClosedError} when closed,
   * {@link LockLostError} when the session died, {@link DeadlockError} when the server found
   * this owner's wait in a deadlock (the request is not granted, earlier locks stay held).
   * Acquires of one instance run one after another (one session runs one statement at a time),
   * in call order; a release is served before waiting acquires (which then resume).
   */
  acquire(spec: LockSpec = 0, options?: AcquireOptions): Promise<boolean> {
    let range: Range;
    let opts: Acquire;
    try {
      range = toRange(spec);
      opts = toAcquire(options, true);
      this.#state.assertUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = opts.signal;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => job.abandon(abortError(signal as AbortSignal));
      const job: AcquireJob = new AcquireJob(range, opts, resolve, reject, () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.#acquires.indexOf(job);
        if (at >= 0) this.#acquires.splice(at, 1);
      });
      if (opts.blocking && opts.timeout !== undefined && opts.timeout > 0) timer = setTimeout(() => job.abandon('timeout'), opts.timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#acquires.push(job);
      this.#pump();
    });
  }

  /**
   * Releases `spec`, or everything this owner holds when omitted; releasing what is not held
   * is a no-op. Pending acquires of this instance that overlap the range are cancelled (they
   * reject with {@link LockCanceledError}). Resolves once the server released it.
   */
  release(spec?: LockSpec): Promise<void> {
    let range: Range | undefined;
    try {
      range = spec === undefined ? undefined : toRange(spec);
      this.#state.assertUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    const start = range?.start ?? 0;
    const end = range === undefined ? Number.MAX_SAFE_INTEGER : range.start + range.count;
    for (const job of [...this.#acquires]) {
      if (job.overlaps(start, end)) job.abandon(new LockCanceledError(`acquire of ${describeRange(job.range)} cancelled by release of an overlapping range`));
    }
    return new Promise<void>((resolve, reject) => {
      this.#releases.push({ range, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.#running?.abandon('preempt');
      this.#pump();
    });
  }

  /** This owner's locks, merged and sorted (as recorded after the server confirmed them). */
  held(): HeldRange[] {
    this.#state.assertUsable();
    return this.#held.segments().map((s) => ({ start: s.start, count: s.end - s.start, write: s.write }));
  }

  /**
   * The first lock of another session that would block a request for `spec` in the given
   * mode (default read), or null. `pid` is the holder's server process id; `start`/`count`
   * are the block of indices the holder's key covers (a block of 16^L indices containing
   * part of `spec`, which may be wider than the holder's own request). Changes nothing.
   */
  async probe(spec: LockSpec = 0, options?: { readonly write?: boolean }): Promise<Holder | null> {
    const range = toRange(spec);
    const write = toBoolean(toOptions(options).write, 'options.write', false);
    this.#state.assertUsable();
    const next = new IntervalSet();
    for (const s of this.#held.segments()) next.set(s.start, s.end, s.write);
    next.set(range.start, range.start + range.count, write);
    const targets = probeTargets(this.space, acquireSteps(this.#holdings, holdingsOf(next.segments())));
    if (targets.length === 0) return null;
    const values = targets.map((t, i) => `(${t.key}, ${t.exclusive}, ${literal(t.kind)}, ${t.start}::float8, ${t.count}::float8, ${i})`).join(',\n');
    const side = await this.#state.side();
    const [result] = await side.run(`SELECT t.start, t.count, (l.mode = 'ExclusiveLock' OR t.kind = 'w') AS write, l.pid
      FROM (VALUES ${values}) AS t(key, exclusive, kind, start, count, ord)
      JOIN pg_locks l ON ${advisoryRows('t.key')} AND l.granted AND l.pid <> ${this.pid}
        AND (t.exclusive OR l.mode = 'ExclusiveLock')
      ORDER BY t.ord LIMIT 1`);
    const row = result?.rows[0] as { start: number; count: number; write: boolean; pid: number } | undefined;
    return row === undefined ? null : { start: row.start, count: row.count, write: row.write, pid: row.pid };
  }

  /**
   * {@link acquire} resolving to a handle for `await using`: rejects with
   * {@link LockTimeoutError} when the timeout ran out, {@link LockBusyError} when
   * `blocking: false` found it busy.
   */
  async lock(spec: LockSpec = 0, options?: AcquireOptions): Promise<LockHandle> {
    const range = toRange(spec);
    const opts = toAcquire(options, true);
    if (!(await this.acquire(range, opts))) throw notAcquired(range, opts, !opts.blocking);
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      released ??= this.#state.closed || this.#state.lost !== undefined ? Promise.resolve() : this.release(range).catch(() => undefined);
      return released;
    };
    return {
      start: range.start,
      count: range.count,
      write: opts.write,
      release: () => void release(),
      [Symbol.dispose]: () => void release(),
      [Symbol.asyncDispose]: release,
    };
  }

  /**
   * Runs `fn` while holding `spec`, then releases exactly that range, whether `fn` returns,
   * throws or rejects. Rejects like {@link lock} when the lock is not acquired.
   */
  async withLock<T>(spec: LockSpec, options: AcquireOptions | undefined, fn: () => T | PromiseLike<T>): Promise<T> {
    const run = toFunction<() => T | PromiseLike<T>>(fn, 'fn');
    const handle = await this.lock(spec, options);
    try {
      return await run();
    } finally {
      await handle[Symbol.asyncDispose]();
    }
  }

  /**
   * Ends the session: the server drops every lock it held. Pending acquires reject with
   * {@link LockClosedError}. Idempotent; any other call afterwards rejects with it.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abandonAll(new LockClosedError('PgLocksFile closed while an acquire was pending'));
      await this.#state.closeSide();
      await this.#session.close();
      this.#held.clearAll();
      this.#holdings = new Map();
      this.#log('closed');
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #abandonAll(error: Error): void {
    for (const job of [...this.#acquires]) job.abandon(error);
    for (const rel of this.#releases.splice(0)) rel.done(error);
  }

  /** Runs queued work one item at a time on the session: releases first, then acquires in call order. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void (async () => {
      try {
        for (;;) {
          const rel = this.#releases.shift();
          if (rel !== undefined) {
            await this.#runRelease(rel);
            continue;
          }
          const job = this.#acquires.find((j) => !j.answered);
          if (job === undefined) break;
          await this.#runAcquire(job);
        }
      } finally {
        this.#pumping = false;
      }
    })();
  }

  async #runRelease(rel: ReleaseJob): Promise<void> {
    const next = new IntervalSet();
    if (rel.range !== undefined) {
      for (const s of this.#held.segments()) next.set(s.start, s.end, s.write);
      next.clear(rel.range.start, rel.range.start + rel.range.count);
    }
    const to = holdingsOf(next.segments());
    try {
      // Splitting a block takes its finer keys first (never waits: this owner holds the block).
      const take = stepsSql(this.space, acquireSteps(this.#holdings, to), false);
      const drop = releaseSql(this.space, minus(this.#holdings, to));
      await this.#session.run([take, drop].filter((sql) => sql.length > 0).join('\n'));
      this.#commit(next, to);
      this.#log(`released ${rel.range === undefined ? 'everything' : describeRange(rel.range)}`);
      rel.done();
    } catch (err) {
      rel.done(this.#toError(err));
    }
  }

  async #runAcquire(job: AcquireJob): Promise<void> {
    job.running = true;
    this.#running = job;
    try {
      if (job.reason !== undefined && job.reason !== 'preempt') return;
      job.arm();
      const { range, opts } = job;
      const next = new IntervalSet();
      for (const s of this.#held.segments()) next.set(s.start, s.end, s.write);
      next.set(range.start, range.start + range.count, opts.write);
      const from = this.#holdings;
      const to = holdingsOf(next.segments());
      const steps = acquireSteps(from, to);
      const tryOnly = !opts.blocking || opts.timeout === 0;
      const outcome = await runStoppable(this.#session, stepsSql(this.space, steps, tryOnly), job.stop, this.#state.side);
      if (outcome.ok && job.reason === undefined) {
        // Granted: drop what the conversion replaced, then record.
        await this.#session.run(releaseSql(this.space, minus(from, to)));
        this.#commit(next, to);
        this.#log(`acquired ${describeRange(range, opts.write)}`);
        job.answer(true);
        return;
      }
      if (this.#state.lost !== undefined) return job.answer(this.#state.lost);
      // Not granted, or granted too late: give back every entry this attempt may have taken.
      await this.#session.run(releaseSql(this.space, undoEntries(from, steps)));
      if (job.reason === 'preempt') return; // stays queued: retried after the release
      if (job.reason !== undefined) return;
      const code = sqlState(outcome.ok ? undefined : outcome.error);
      if (code === '22012') return job.answer(false);
      if (code === '40P01') return job.answer(new DeadlockError(`${describeRange(range, opts.write)}: the server detected a deadlock; not acquired`));
      job.answer(this.#toError(outcome.ok ? undefined : outcome.error));
    } catch (err) {
      job.answer(this.#toError(err));
    } finally {
      job.running = false;
      this.#running = undefined;
      job.finish();
    }
  }

  #commit(next: IntervalSet, to: Holdings): void {
    this.#held.clearAll();
    for (const s of next.segments()) this.#held.set(s.start, s.end, s.write);
    this.#holdings = to;
  }

  /** The error a failed statement becomes: the loss, or a {@link LockSystemError} with the SQLSTATE. */
  #toError(err: unknown): LockError {
    if (this.#state.lost !== undefined) return this.#state.lost;
    if (this.#state.closed) return new LockClosedError('PgLocksFile closed');
    const code = sqlState(err);
    if (code === QUERY_CANCELED) return new LockSystemError('postgres', code, 'the statement was cancelled by someone else');
    return new LockSystemError('postgres', code ?? 'EUNKNOWN', (err as Error | undefined)?.message ?? 'unknown failure');
  }

  #log(message: string): void {
    this.#logger?.debug(`[${this.id}] ${message}`);
  }
}

/** The entries of `a` that `b` lacks. */
function minus(a: Holdings, b: Holdings): Holdings {
  const out: Holdings = new Map();
  for (const [id, e] of a) if (!b.has(id)) out.set(id, e);
  return out;
}
