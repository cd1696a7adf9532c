/**
 * One dedicated PostgreSQL session (never a pooled connection): the owner of advisory locks.
 * TCP keep-alive is on so that a dead peer is noticed; a session that dies for any reason
 * other than {@link Session.close} reports it once through `onLost`, and every later query
 * rejects with {@link LockLostError}. There is no reconnect: the server dropped the locks.
 *
 * @packageDocumentation
 */
import { Client, type ClientConfig, type QueryResult } from 'pg';
import { InvalidArgumentError, LockLostError, LockSystemError } from '../errors/errors';
import { invalidType } from '../args/spec';

/** A connection string (`postgres://user@127.0.0.1:5432/db`) or a `pg` client config. */
export type PgConnection = string | ClientConfig;

/** Delay before the first TCP keep-alive probe of an idle session, ms. */
const KEEP_ALIVE_DELAY_MS = 10_000;

/**
 * Session settings: literals as the SQL standard says (our key texts rely on it); the server
 * probes an idle client every 5 s after 10 s of silence and gives up after 3 misses (so a
 * vanished client's locks are dropped within about 25 s), and checks every 2 s that a client
 * waiting for a lock is still there (`client_connection_check_interval`, PostgreSQL 14+; only
 * settings the server knows are set).
 */
const SESSION_SETUP = `SET standard_conforming_strings = on;
SELECT set_config(t.name, t.value, false) FROM (VALUES
  ('tcp_keepalives_idle', '10'), ('tcp_keepalives_interval', '5'), ('tcp_keepalives_count', '3'),
  ('client_connection_check_interval', '2000')) AS t(name, value)
WHERE t.name IN (SELECT name FROM pg_settings);
SELECT pg_backend_pid() AS pid`;

/** SQLSTATE classes meaning the session is gone: 08 connection exception, 57P admin shutdown/crash. */
function isFatal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57P');
}

/** Validates `connection` and turns it into a client config with keep-alive on. */
export function toClientConfig(connection: unknown, applicationName: string): ClientConfig {
  let base: ClientConfig;
  if (typeof connection === 'string') {
    if (connection.length === 0) throw new InvalidArgumentError('ERR_INVALID_ARG_VALUE', 'connection', 'expected a non-empty connection string');
    base = { connectionString: connection };
  } else if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
    base = connection;
  } else {
    throw invalidType('connection', 'a connection string or a pg client config', connection);
  }
  return { ...base, keepAlive: true, keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MS, application_name: applicationName };
}

/** The SQLSTATE of a server error, or undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A live session with its server process id. */
export class Session {
  #lost: LockLostError | undefined;
  #closing = false;
  readonly #onLost: (error: LockLostError) => void;

  private constructor(
    private readonly client: Client,
    /** The server process (backend) id: what `pg_locks.pid` shows for this session. */
    readonly pid: number,
    onLost: (error: LockLostError) => void,
  ) {
    this.#onLost = onLost;
    client.on('error', (err) => this.#markLost(err));
    client.on('end', () => this.#markLost(new Error('the connection ended')));
  }

  /** Connects one session. Rejects with {@link LockSystemError} when the server refuses. */
  static async open(config: ClientConfig, onLost: (error: LockLostError) => void): Promise<Session> {
    const client = new Client(config);
    // Errors before the session is handed out belong to connect()'s rejection.
    const early = (): void => undefined;
    client.on('error', early);
    try {
      await client.connect();
      const result = await client.query<{ pid: number }>(SESSION_SETUP);
      const rows = (result as unknown as QueryResult<{ pid: number }>[])[2]?.rows;
      const pid = rows?.[0]?.pid;
      if (typeof pid !== 'number') throw new Error('pg_backend_pid() returned no pid');
      client.off('error', early);
      return new Session(client, pid, onLost);
    } catch (err) {
      client.off('error', early);
      await client.end().catch(() => undefined);
      throw new LockSystemError('postgres connect', sqlState(err) ?? 'ECONNECT', (err as Error).message);
    }
  }

  /** Set once the session died; the error every later call rejects with. */
  get lost(): LockLostError | undefined {
    return this.#lost;
  }

  #markLost(cause: unknown): void {
    if (this.#closing || this.#lost !== undefined) return;
    this.#lost = new LockLostError(`the PostgreSQL session (server pid ${this.pid}) died: ${(cause as Error).message}; every lock it held is gone`, cause);
    this.#onLost(this.#lost);
  }

  /**
   * Runs `sql` (one or several statements, simple protocol; nothing for ''). A failure that means the session
   * is gone marks it lost and rejects with {@link LockLostError}; SQL errors reject as they came.
   */
  async run(sql: string): Promise<QueryResult<Record<string, unknown>>[]> {
    if (this.#lost !== undefined) throw this.#lost;
    if (sql.length === 0) return [];
    try {
      const result = await this.client.query(sql);
      return Array.isArray(result) ? (result as QueryResult<Record<string, unknown>>[]) : [result];
    } catch (err) {
      if (isFatal(err) && !this.#closing) {
        this.#markLost(err);
        throw this.#lost ?? err;
      }
      throw err;
    }
  }

  /** Ends the session (the server drops its locks). Idempotent, never rejects. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.client.end().catch(() => undefined);
  }
}
