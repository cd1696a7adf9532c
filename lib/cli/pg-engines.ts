/**
 * `--pg URL`: the FILE and `name` forms on PostgreSQL (`locksfile/postgres`): a range of a
 * `PgLocksFile` space (FILE names the space) and a `PgLockManager` name. The postgres module
 * and its optional peer dependency `pg` are loaded only here, so the other forms work without
 * `pg` installed.
 *
 * @packageDocumentation
 */
import type { Range } from '../args/spec';
import type { LockLostError } from '../errors/errors';
import type { PgLockManager } from '../postgres/pg-lock-manager';
import type { LockEngine } from './engine';
import { CliExit, EX } from './exit-codes';
import { NameEngine } from './name-engine';
import { describeRange, RangeEngine } from './range-engine';

type PgModule = typeof import('../postgres/index');

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(the --pg URL)';
  }
}

/** `namespace "NS" on URL` (password hidden): how messages name a PgLockManager namespace. */
export function describePgNamespace(url: string, namespace: string): string {
  return `namespace ${JSON.stringify(namespace)} on ${redactUrl(url)}`;
}

function loadPg(): PgModule {
  try {
    // Loaded on demand (CommonJS require): `pg` is an optional peer dependency.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load of an optional peer
    return require('../postgres/index') as PgModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new CliExit(EX.UNAVAILABLE, `--pg needs the optional dependency pg (npm install pg): ${(err as Error).message.split('\n')[0]}`);
    }
    throw err;
  }
}

/** Connects, turning any failure to reach the server into exit status 69 (service unavailable). */
async function connect<T>(url: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    throw new CliExit(EX.UNAVAILABLE, `cannot connect to ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function warnLost(target: string): (error: LockLostError) => void {
  return (error) => process.stderr.write(`locksfile: lost the PostgreSQL session of ${target} (${error.message}); its lock is gone\n`);
}

/** A range of the `PgLocksFile` space `space`; `id` shows in `pg_stat_activity.application_name`. */
export async function connectPgSpace(url: string, space: string, range: Range, id: string): Promise<LockEngine> {
  const { PgLocksFile } = loadPg();
  const target = `space ${JSON.stringify(space)} ${describeRange(range)} on ${redactUrl(url)}`;
  const owner = await connect(url, () => PgLocksFile.connect(url, { space, id, onLost: warnLost(target) }));
  return new RangeEngine(owner, range, target, async (mode) => {
    const holder = await owner.probe(range, { write: mode === 'exclusive' });
    return holder === null ? 'nobody now' : `${holder.write ? 'an exclusive' : 'a shared'} lock of server session pid ${holder.pid}`;
  });
}

/** A `PgLockManager` of `namespace` with `clientId`, for a name engine or `status --names`. */
export async function connectPgManager(url: string, namespace: string, clientId?: string): Promise<PgLockManager> {
  const { PgLockManager } = loadPg();
  return connect(url, () => PgLockManager.connect(url, { namespace, clientId, onLost: warnLost(describePgNamespace(url, namespace)) }));
}

/** The name `name` of the `PgLockManager` namespace `namespace`. */
export async function connectPgName(url: string, namespace: string, name: string, clientId: string): Promise<LockEngine> {
  const manager = await connectPgManager(url, namespace, clientId);
  return new NameEngine(manager, name, describePgNamespace(url, namespace));
}
