/**
 * `locksfile status --names`: the held and pending requests of a lock manager's namespace,
 * as its `query()` reports them (W3C `LockManagerSnapshot`), as a table or as JSON.
 *
 * @packageDocumentation
 */
import type { LockInfo, LockManagerLike } from '../lock-manager/types';
import { formatTable } from './table';

/** What `status --names --json` prints. */
export interface NamesReport {
  /** The namespace queried (registry path, database). */
  readonly namespace: string;
  readonly held: LockInfo[];
  /** In queue order per name. */
  readonly pending: LockInfo[];
  readonly notes: string[];
}

/** Queries `manager` for the whole namespace. */
export async function collectNames(manager: LockManagerLike, namespace: string): Promise<NamesReport> {
  const snapshot = await manager.query();
  return {
    namespace,
    held: snapshot.held,
    pending: snapshot.pending,
    notes: ['a request shows the clientId its program chose (locksfile commands use "locksfile[PID] COMMAND"); no times are recorded'],
  };
}

/** The report as a table: one line per held or pending request. */
export function formatNames(report: NamesReport): string {
  const rows = [...report.held.map((e) => ['held', e.name, e.mode, e.clientId]), ...report.pending.map((e) => ['waiting', e.name, e.mode, e.clientId])];
  const body = rows.length === 0 ? ['no locks'] : formatTable(['STATE', 'NAME', 'MODE', 'CLIENT'], rows);
  return [report.namespace, ...body, ...report.notes.map((n) => `note: ${n}`)].join('\n') + '\n';
}
