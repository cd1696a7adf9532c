/**
 * `locksfile status FILE`: who holds and who waits for the locks of a lock file, as an
 * `lslocks`-like table or as JSON. Built only from what `/proc` shows (see `proc-locks.ts`);
 * whatever it cannot show is said in `notes`, never guessed.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { pathError } from '../errors/path-error';
import { formatTable } from './table';
import {
  commandOf,
  runsScript,
  fcntlWaiters,
  fdHolders,
  type FcntlWaiter,
  type FdLock,
  type FileKey,
  kernelLocks,
  type KernelLock,
  procKey,
  sameLock,
  startedAt,
} from './proc-locks';

/** A process taking part in a lock, as far as `/proc` shows it. */
export interface StatusProcess {
  readonly pid: number;
  /** The descriptor that holds or waits, when known. */
  readonly fd: number | null;
  /** The waiting thread (for waiters found through their system call). */
  readonly tid: number | null;
  readonly command: string | null;
  readonly startedAt: string | null;
}

/** One held lock or one waiting request. */
export interface StatusEntry {
  readonly state: 'held' | 'waiting';
  readonly start: number;
  /** Number of indices, or null for "to the end of the file". */
  readonly count: number | null;
  readonly mode: 'exclusive' | 'shared';
  /** Kernel lock family: `ofd`, `posix`, `flock`... */
  readonly type: string;
  /** Who holds or waits; empty when the kernel shows no process for it (see notes). */
  readonly processes: StatusProcess[];
  /**
   * When the wait began, known only for waiting `locksfile` commands (they wait from their
   * start); null otherwise: the kernel records no time for a wait or a grant.
   */
  readonly waitingSince: string | null;
}

/** What `status --json` prints. */
export interface StatusReport {
  readonly file: string;
  /** `major:minor:inode` as in `/proc/locks`. */
  readonly key: string;
  readonly locks: StatusEntry[];
  readonly notes: string[];
}

function processOf(pid: number, fd: number | null, tid: number | null): StatusProcess {
  return { pid, fd, tid, command: commandOf(pid), startedAt: startedAt(pid)?.toISOString() ?? null };
}

/** This very command's script, symlinks resolved (`.bin/locksfile` is a link to it). */
function ownScript(): string {
  try {
    return fs.realpathSync(process.argv[1] ?? '');
  } catch {
    return '';
  }
}

function entry(lock: KernelLock, processes: StatusProcess[], script: string): StatusEntry {
  // A waiting locksfile command (the same script as this one) waits from its start.
  const cli = lock.blocked ? processes.find((p) => runsScript(p.pid, script)) : undefined;
  return {
    state: lock.blocked ? 'waiting' : 'held',
    start: lock.start,
    count: lock.end === null ? null : lock.end - lock.start,
    mode: lock.write ? 'exclusive' : 'shared',
    type: lock.type === 'OFDLCK' ? 'ofd' : lock.type.toLowerCase(),
    processes,
    waitingSince: cli?.startedAt ?? null,
  };
}

function describeLock(lock: KernelLock): string {
  return `${lock.type} ${lock.write ? 'write' : 'read'} lock on ${lock.start}..${lock.end === null ? 'EOF' : lock.end - 1}`;
}

/**
 * The descriptors that own a granted lock. Identical locks of several owners (say two shared
 * locks on one range) each get one descriptor when there are as many descriptors as locks;
 * with more descriptors than locks some descriptions are shared by several processes (a
 * fork), which fdinfo cannot tell apart, so each such lock lists them all.
 */
function ownersOf(lock: KernelLock, locks: readonly KernelLock[], owners: readonly FdLock[]): FdLock[] {
  const fds = owners.filter((o) => sameLock(o.lock, lock) && (lock.pid === null || o.pid === lock.pid));
  const twins = locks.filter((l) => !l.blocked && sameLock(l, lock) && l.pid === lock.pid);
  if (twins.length === 1 || fds.length !== twins.length) return fds;
  return [fds[twins.indexOf(lock)]];
}

/** Collects the report for the lock file at `path`; throws `LockPathError` when it cannot be stat'ed. */
export function collectStatus(path: string): StatusReport {
  let key: FileKey;
  try {
    key = fs.statSync(path);
  } catch (err) {
    throw pathError(path, err);
  }
  const notes: string[] = [];
  const locks = kernelLocks(key);
  const owners = fdHolders(key);
  const waiters: FcntlWaiter[] = fcntlWaiters(key);
  const script = ownScript();
  const entries = locks.map((lock) => {
    if (!lock.blocked) {
      const fds = ownersOf(lock, locks, owners);
      const processes = fds.length > 0 ? fds.map((o) => processOf(o.pid, o.fd, null)) : lock.pid !== null ? [processOf(lock.pid, null, null)] : [];
      if (processes.length === 0) notes.push(`the owner of the held ${describeLock(lock)} is not visible (another user's process? run as root)`);
      return entry(lock, processes, script);
    }
    const at = waiters.findIndex(
      (w) =>
        w.type === lock.type &&
        (lock.pid === null || w.pid === lock.pid) &&
        (w.request === null || (w.request.write === lock.write && w.request.start === lock.start && w.request.end === lock.end)),
    );
    if (at >= 0) {
      const [w] = waiters.splice(at, 1) as [FcntlWaiter];
      return entry(lock, [processOf(w.pid, w.fd, w.tid)], script);
    }
    if (lock.pid !== null) return entry(lock, [processOf(lock.pid, null, null)], script);
    notes.push(`the process behind the waiting ${describeLock(lock)} is not visible (its thread could not be inspected: another user's process? run as root)`);
    return entry(lock, [], script);
  });
  notes.push('the kernel records no time for grants or waits: "since" is known only for waiting locksfile commands (their start)');
  entries.sort((a, b) => a.start - b.start || (a.state === b.state ? 0 : a.state === 'held' ? -1 : 1));
  return { file: nodePath.resolve(path), key: procKey(key), locks: entries, notes };
}

function rangeText(e: StatusEntry): string {
  if (e.count === null) return `${e.start}..EOF`;
  return e.count === 1 ? `${e.start}` : `${e.start}..${e.start + e.count - 1}`;
}

/** The report as an `lslocks`-like table. */
export function formatStatus(report: StatusReport): string {
  const header = ['STATE', 'RANGE', 'MODE', 'TYPE', 'PID', 'SINCE', 'COMMAND'];
  const rows = report.locks.flatMap((e) => {
    const procs = e.processes.length > 0 ? e.processes : [null];
    return procs.map((p) => [e.state, rangeText(e), e.mode, e.type, p === null ? '?' : String(p.pid), e.waitingSince ?? '-', p?.command ?? '?']);
  });
  const body = rows.length === 0 ? ['no locks'] : formatTable(header, rows);
  return [`${report.file} (${report.key})`, ...body, ...report.notes.map((n) => `note: ${n}`)].join('\n') + '\n';
}
