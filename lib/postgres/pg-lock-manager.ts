/**
 * `PgLockManager`: the W3C Web Locks surface (`request`, `query`) on PostgreSQL advisory
 * locks, so that processes on several machines share named locks.
 *
 * Name `n` of namespace `ns` is the advisory key `hashtextextended('locksfile-lm/<ns>/<n>', 0)`,
 * taken exclusive (`pg_advisory_lock`) or shared (`pg_advisory_lock_shared`): the server's
 * own fair queue orders the waiters. Every request in flight owns one dedicated session from
 * its lock statement to its unlock (so two requests of one manager exclude each other like
 * two clients); a session goes back to this manager's idle list only after its unlock was
 * confirmed, never to a shared pool. The lock statement carries the manager's namespace and
 * `clientId` in a leading comment, which is how `query()` lists every client's held and
 * pending requests from `pg_locks` and `pg_stat_activity`.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Lock, LockGrantedCallback, LockInfo, LockManagerLike, LockManagerSnapshot, LockMode, LockRequestOptions } from '../lock-manager/types';
import { LockClosedError, type LockLostError } from '../errors/errors';
import { toOptions, toString } from '../args/spec';
import { runStoppable } from './cancel';
import { OwnerState, toOnLost } from './owner';
import { type PgConnection, Session, toClientConfig } from './session';
import { advisoryRows, literal } from './sql';

/** Options of {@link PgLockManager.connect}. */
export interface PgLockManagerOptions {
  /** Managers with the same namespace (on the same database) share names. Default `'default'`. */
  readonly namespace?: string;
  /** The id {@link PgLockManager.query} reports for this manager. Default: a random uuid. */
  readonly clientId?: string;
  /** Called once when a session of this manager dies (same as the `'lost'` event). */
  readonly onLost?: (error: LockLostError) => void;
}

const MARK = 'locksfile-lm';
/** Most idle sessions kept for reuse. */
const MAX_IDLE = 4;
/** Pause between rounds of a steal (terminate holders, try again), ms. */
const STEAL_PAUSE_MS = 5;

function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

function notSupported(message: string): DOMException {
  return new DOMException(message, 'NotSupportedError');
}

/** `'lost'`: emitted once when a session of this owner died (the `LockLostError` every later call rejects with). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed 'lost' events on an EventEmitter subclass
export interface PgLockManager {
  on(event: 'lost', listener: (error: LockLostError) => void): this;
  once(event: 'lost', listener: (error: LockLostError) => void): this;
  off(event: 'lost', listener: (error: LockLostError) => void): this;
}

/** The Web Locks `LockManager` on PostgreSQL. See the module documentation. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class PgLockManager extends EventEmitter implements LockManagerLike {
  /** The id this manager reports in `query()` entries. */
  readonly clientId: string;
  /** The namespace of names. */
  readonly namespace: string;
  readonly #state: OwnerState;
  readonly #idle: Session[] = [];
  readonly #busy = new Set<Session>();
  /** Rejects the requests in flight (loss or close). */
  readonly #stops = new Set<(error: Error) => void>();

  private constructor(state: OwnerState, namespace: string, clientId: string) {
    super();
    this.#state = state;
    this.namespace = namespace;
    this.clientId = clientId;
  }

  /**
   * Connects to `connection` (a connection string or a `pg` client config; TCP keep-alive is
   * forced on) and checks the server once. Rejects with `LockSystemError` when unreachable.
   */
  static async connect(connection: PgConnection, options?: PgLockManagerOptions): Promise<PgLockManager> {
    const opts = toOptions(options);
    const namespace = toString(opts.namespace, 'options.namespace', 'default');
    const clientId = toString(opts.clientId, 'options.clientId', randomUUID());
    const onLost = toOnLost(opts.onLost);
    const config = toClientConfig(connection, `${MARK}:${clientId}`.slice(0, 63));
    let self: PgLockManager | undefined;
    const events = new EventEmitter();
    const state = new OwnerState(config, 'PgLockManager', events, onLost, (error) => {
      if (self !== undefined) self.#stopAll(error);
    });
    await state.side();
    self = new PgLockManager(state, namespace, clientId);
    events.on('lost', (error: LockLostError) => self?.emit('lost', error));
    return self;
  }

  /**
   * Requests the lock `name` and runs `callback` while it is held (W3C `request()`): resolves
   * with the callback's result after the lock was released. `ifAvailable`: the callback gets
   * `null` when the lock is not free now. `steal`: terminates the sessions holding `name`
   * (their managers report `'lost'`) and takes it. `signal`: aborting before the grant
   * cancels the server-side wait and rejects with `signal.reason`. Errors as the spec:
   * `TypeError` for a bad callback or mode, `NotSupportedError` for a name starting with '-',
   * steal with ifAvailable, steal with shared mode, or signal with steal/ifAvailable.
   * Rejects with {@link LockLostError} when the session holding or awaiting the lock dies.
   */
  request<T>(name: string, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  request<T>(name: string, options: LockRequestOptions, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  async request<T>(name: string, optionsOrCallback: LockRequestOptions | LockGrantedCallback<T>, maybeCallback?: LockGrantedCallback<T>): Promise<Awaited<T>> {
    const callback = maybeCallback === undefined ? optionsOrCallback : maybeCallback;
    const options = (maybeCallback === undefined ? {} : (optionsOrCallback ?? {})) as LockRequestOptions;
    if (typeof callback !== 'function') throw new TypeError('request(): callback must be a function');
    const lockName = String(name);
    const mode = options.mode ?? 'exclusive';
    if (mode !== 'exclusive' && mode !== 'shared') throw new TypeError(`request(): mode must be 'exclusive' or 'shared', received ${String(mode)}`);
    const ifAvailable = options.ifAvailable === true;
    const steal = options.steal === true;
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('request(): signal must be an AbortSignal');
    if (lockName.startsWith('-')) throw notSupported('lock names starting with "-" are reserved');
    if (steal && ifAvailable) throw notSupported('steal and ifAvailable cannot be combined');
    if (steal && mode !== 'exclusive') throw notSupported('steal requires mode "exclusive"');
    if (signal !== undefined && (steal || ifAvailable)) throw notSupported('signal cannot be combined with steal or ifAvailable');
    if (signal?.aborted === true) throw signal.reason;
    this.#state.assertUsable();
    const session = await this.#checkout();
    let stopped!: (error: Error) => void;
    const stop = new Promise<Error>((resolve) => (stopped = resolve));
    this.#stops.add(stopped);
    let reusable = false;
    try {
      const granted = await this.#lock(session, lockName, mode, { ifAvailable, steal, signal }, stop);
      if (!granted) {
        reusable = true;
        return await callback(null);
      }
      const lock: Lock = { name: lockName, mode };
      const ran = (async () => callback(lock))();
      try {
        return await Promise.race([ran, stop.then((error) => Promise.reject(error))]);
      } finally {
        // Released when the callback settles, whether it returned, threw or rejected.
        if (session.lost === undefined && !this.#state.closed) {
          const [unlocked] = await session.run(`SELECT ${fn(mode, 'unlock')}(${this.#key(lockName)}) AS ok`);
          reusable = unlocked?.rows[0]?.ok === true;
        }
      }
    } finally {
      this.#stops.delete(stopped);
      this.#checkin(session, reusable);
    }
  }

  /**
   * Takes the lock on `session`; false when `ifAvailable` found it busy. Rejects with the
   * signal's reason when aborted (after the server-side wait was cancelled and a grant that
   * won the race given back), or with the loss.
   */
  async #lock(
    session: Session,
    name: string,
    mode: LockMode,
    how: { ifAvailable: boolean; steal: boolean; signal: AbortSignal | undefined },
    stop: Promise<Error>,
  ): Promise<boolean> {
    const key = this.#key(name);
    const mark = `/*${MARK} ${hex(this.namespace)} ${hex(this.clientId)}*/ `;
    if (how.ifAvailable || how.steal) {
      for (;;) {
        if (how.steal) {
          await session.run(`SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE ${advisoryRows(key)} AND l.granted AND l.pid <> pg_backend_pid()`);
        }
        const [r] = await session.run(`${mark}SELECT ${fn(mode, 'try')}(${key}) AS ok`);
        if (r?.rows[0]?.ok === true) return true;
        if (!how.steal) return false;
        await new Promise((resolve) => setTimeout(resolve, STEAL_PAUSE_MS));
      }
    }
    const signal = how.signal;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<void>((resolve) => (onAbort = resolve));
    signal?.addEventListener('abort', onAbort, { once: true });
    const outcome = await runStoppable(session, `${mark}SELECT ${fn(mode, 'lock')}(${key})`, Promise.race([aborted, stop]), this.#state.side);
    signal?.removeEventListener('abort', onAbort);
    this.#state.assertUsable();
    if (outcome.ok && signal?.aborted !== true) return true;
    // Not wanted, or cancelled: a cancel can also land after the function took the lock
    // (the statement then fails, the session-level lock stays), so unlock in every case.
    await session.run(`SELECT ${fn(mode, 'unlock')}(${key})`);
    if (signal?.aborted === true) throw signal.reason;
    throw (outcome as { error: unknown }).error;
  }

  /**
   * Held locks and pending requests of this namespace, across every client connected to the
   * same database (pending in the order they started waiting, which is the server's queue order).
   */
  async query(): Promise<LockManagerSnapshot> {
    this.#state.assertUsable();
    const side = await this.#state.side();
    const [result] = await side.run(`SELECT l.granted, l.mode, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE ${advisoryRows()} AND a.query LIKE ${literal(`/*${MARK} ${hex(this.namespace)} %`)}
      ORDER BY a.query_start, l.pid`);
    const held: LockInfo[] = [];
    const pending: LockInfo[] = [];
    const prefix = `locksfile-lm/${this.namespace}/`;
    for (const row of (result?.rows ?? []) as Array<{ granted: boolean; mode: string; query: string }>) {
      const parsed = /^\/\*\S+ \S+ ([0-9a-f]*)\*\/ SELECT \S+\(hashtextextended\('((?:[^']|'')*)', 0\)\)/.exec(row.query);
      if (parsed === null) continue;
      const text = parsed[2].replace(/''/g, "'");
      if (!text.startsWith(prefix)) continue;
      const info: LockInfo = {
        name: text.slice(prefix.length),
        mode: row.mode === 'ExclusiveLock' ? 'exclusive' : 'shared',
        clientId: Buffer.from(parsed[1], 'hex').toString('utf8'),
      };
      (row.granted ? held : pending).push(info);
    }
    return { held, pending };
  }

  /** Ends every session: the server drops their locks; requests in flight reject with `LockClosedError`. Idempotent. */
  async close(): Promise<void> {
    if (this.#state.closed) return;
    this.#stopAll(new LockClosedError('PgLockManager closed while a request was in flight'));
    await this.#state.closeSide();
    await Promise.all([...this.#idle.splice(0), ...this.#busy].map((s) => s.close()));
    this.#busy.clear();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #key(name: string): string {
    return `hashtextextended(${literal(`locksfile-lm/${this.namespace}/${name}`)}, 0)`;
  }

  async #checkout(): Promise<Session> {
    const session = this.#idle.pop() ?? (await Session.open(this.#state.config, this.#state.markLost));
    if (this.#state.closed || this.#state.lost !== undefined) {
      // Closed or lost while connecting: nobody else would end this session.
      await session.close();
      this.#state.assertUsable();
    }
    this.#busy.add(session);
    return session;
  }

  #checkin(session: Session, reusable: boolean): void {
    this.#busy.delete(session);
    if (reusable && !this.#state.closed && session.lost === undefined && this.#idle.length < MAX_IDLE) this.#idle.push(session);
    else void session.close();
  }

  #stopAll(error: Error): void {
    for (const stop of this.#stops) stop(error);
  }
}

/** The advisory function for `mode`: take (waiting), try, or unlock. */
function fn(mode: LockMode, op: 'lock' | 'try' | 'unlock'): string {
  const shared = mode === 'shared' ? '_shared' : '';
  if (op === 'try') return `pg_try_advisory_lock${shared}`;
  return `pg_advisory_${op}${shared}`;
}
