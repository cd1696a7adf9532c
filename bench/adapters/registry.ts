/**
 * Maps catalog ids to adapter modules, loaded lazily so a process only loads the native addon
 * it measures, and decides which implementations can run in this environment.
 *
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { CATALOG, type ImplInfo } from './catalog';
import type { LockAdapter } from './types';

// Adapter modules are required on demand (not imported at the top) so that a worker process
// loads only the library it measures, and a peer that fails to load affects only its own rows.
function adaptersOf(id: string): readonly LockAdapter[] {
  if (id.startsWith('ours-')) return (require('./ours') as typeof import('./ours')).oursAdapters;
  if (id.startsWith('raw-fcntl')) return (require('./raw-fcntl') as typeof import('./raw-fcntl')).rawAdapters;
  if (id.startsWith('fs-ext')) return (require('./fs-ext') as typeof import('./fs-ext')).fsExtAdapters;
  if (id === 'os-lock') return (require('./os-lock') as typeof import('./os-lock')).osLockAdapters;
  if (id.startsWith('proper-lockfile')) return (require('./proper-lockfile') as typeof import('./proper-lockfile')).properLockfileAdapters;
  if (id === 'cross-process-lock') return (require('./cross-process-lock') as typeof import('./cross-process-lock')).crossProcessLockAdapters;
  if (id.startsWith('lockfile')) return (require('./lockfile') as typeof import('./lockfile')).lockfileAdapters;
  throw new Error(`no Node adapter for ${id}`);
}

/** The Node adapter of catalog id `id`. */
export async function loadAdapter(id: string): Promise<LockAdapter> {
  const a = adaptersOf(id).find((x) => x.id === id);
  if (a === undefined) throw new Error(`no Node adapter for ${id}`);
  return a;
}

let pythonOk: boolean | undefined;

/** Whether `python3` runs here. */
export function hasPython(): boolean {
  if (pythonOk === undefined) {
    const r = spawnSync('python3', ['-c', 'import fcntl, uuid, json'], { stdio: 'ignore', timeout: 10_000 });
    pythonOk = r.status === 0;
  }
  return pythonOk;
}

/** How our library loads here: from where, or why it does not. */
export function oursStatus(): { loaded: true; from: string } | { loaded: false; reason: string } {
  try {
    const l = (require('./ours') as typeof import('./ours')).loadOurs();
    return l.ok ? { loaded: true, from: l.from } : { loaded: false, reason: l.reason };
  } catch (e) {
    return { loaded: false, reason: `the library fails to load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
}

/** Why `info` cannot run in this environment, or null when it can. */
export async function unavailableReason(info: ImplInfo): Promise<string | null> {
  if (info.runtime === 'python') return hasPython() ? null : 'python3 not found';
  if (info.group === 'ours') {
    const st = oursStatus();
    return st.loaded ? (require('./ours') as typeof import('./ours')).oursUnavailable(info.id) : st.reason;
  }
  try {
    await loadAdapter(info.id);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Every catalog entry with the reason it cannot run (null when it can). */
export async function survey(filter: readonly string[] | null): Promise<Array<{ info: ImplInfo; unavailable: string | null }>> {
  const out: Array<{ info: ImplInfo; unavailable: string | null }> = [];
  for (const info of CATALOG) {
    if (filter !== null && !filter.includes(info.id)) continue;
    out.push({ info, unavailable: await unavailableReason(info) });
  }
  return out;
}
