/**
 * The catalog of every implementation the benchmark knows: ours, the Node peers, the raw
 * fcntl baseline and the Python stdlib equivalents of pylocksfile and shmlock. Metadata only:
 * no implementation module is loaded here, so the runner can plan without native addons.
 *
 * @packageDocumentation
 */

/** Metadata of one implementation. */
export interface ImplInfo {
  /** Stable id (file names, `--impls`, JSON). */
  readonly id: string;
  /** Label in tables and charts. */
  readonly label: string;
  /** `ours`, a `peer` library, or the raw-fcntl `baseline`. */
  readonly group: 'ours' | 'peer' | 'baseline';
  /** Where it runs. */
  readonly runtime: 'node' | 'python';
  /** `sync` blocks the thread; `async` returns a promise. */
  readonly mode: 'sync' | 'async';
  /** Can lock index n (byte n) of one file. */
  readonly indexed: boolean;
  /** Has shared (read) locks. */
  readonly shared: boolean;
  /** Can wait for a held lock (used in the contended workloads). */
  readonly waits: boolean;
  /** For Python shmlock: poll interval in seconds. */
  readonly pollS?: number;
  /** How it is configured / what one pair is. */
  readonly how: string;
}

const node = { runtime: 'node' } as const;
const py = { runtime: 'python', mode: 'sync' } as const;

/** Every implementation, ours first. */
export const CATALOG: readonly ImplInfo[] = [
  { ...node, id: 'ours-sync', label: 'LocksFile acquireSync', group: 'ours', mode: 'sync', indexed: true, shared: true, waits: true, how: 'lf.acquireSync(n, { write }) / lf.release(n)' },
  { ...node, id: 'ours-async', label: 'LocksFile acquire', group: 'ours', mode: 'async', indexed: true, shared: true, waits: true, how: 'await lf.acquire(n, { write }) / lf.release(n)' },
  { ...node, id: 'ours-shm-sync', label: 'ShmLock acquireSync', group: 'ours', mode: 'sync', indexed: false, shared: false, waits: true, how: 'shm.acquireSync() / shm.release()' },
  { ...node, id: 'ours-shm-async', label: 'ShmLock acquire', group: 'ours', mode: 'async', indexed: false, shared: false, waits: true, how: 'await shm.acquire() / shm.release()' },
  { ...node, id: 'raw-fcntl', label: 'raw fcntl OFD (koffi)', group: 'baseline', mode: 'sync', indexed: true, shared: true, waits: true, how: 'koffi fcntl(fd, F_OFD_SETLK, buf) on a pre-filled 32-byte struct flock; F_OFD_SETLKW when busy' },
  { ...node, id: 'raw-fcntl-pool', label: 'raw fcntl on libuv pool (koffi .async)', group: 'baseline', mode: 'async', indexed: true, shared: true, waits: false, how: 'fcntl.async(fd, F_OFD_SETLK, buf, cb): what any thread-pool lock call costs' },
  { ...node, id: 'fs-ext-sync', label: 'fs-ext flockSync', group: 'peer', mode: 'sync', indexed: false, shared: true, waits: true, how: "flockSync(fd, 'ex' | 'sh') / flockSync(fd, 'un'), whole file" },
  { ...node, id: 'fs-ext-async', label: 'fs-ext flock (async)', group: 'peer', mode: 'async', indexed: false, shared: true, waits: true, how: "flock(fd, 'ex' | 'sh', cb) / flock(fd, 'un', cb) on the libuv pool, whole file" },
  { ...node, id: 'os-lock', label: 'os-lock lock/unlock', group: 'peer', mode: 'async', indexed: true, shared: true, waits: true, how: 'await lock(fd, n, 1, { exclusive }) / await unlock(fd, n, 1): POSIX F_SETLKW on the libuv pool' },
  { ...node, id: 'proper-lockfile', label: 'proper-lockfile lock', group: 'peer', mode: 'async', indexed: false, shared: false, waits: true, how: 'release = await lock(file, { realpath: false, retries: forever, 1 ms }) / await release()' },
  { ...node, id: 'proper-lockfile-sync', label: 'proper-lockfile lockSync', group: 'peer', mode: 'sync', indexed: false, shared: false, waits: false, how: 'release = lockSync(file, { realpath: false }) / release() (cannot wait)' },
  { ...node, id: 'lockfile', label: 'lockfile lock', group: 'peer', mode: 'async', indexed: false, shared: false, waits: true, how: 'lock(path, { wait, pollPeriod: 1 }, cb) / unlock(path, cb): O_EXCL create + polling' },
  { ...node, id: 'lockfile-sync', label: 'lockfile lockSync', group: 'peer', mode: 'sync', indexed: false, shared: false, waits: false, how: 'lockSync(path) / unlockSync(path) (cannot wait)' },
  { ...py, id: 'py-lockf', label: 'Python fcntl.lockf (pylocksfile)', group: 'peer', indexed: true, shared: true, waits: true, how: 'fcntl.lockf(fd, LOCK_EX, 1, n) / lockf(fd, LOCK_UN, 1, n), measured inside python3' },
  { ...py, id: 'py-shm', label: 'Python shm create/unlink (shmlock)', group: 'peer', indexed: false, shared: false, waits: false, how: 'os.open(/dev/shm/name, O_CREAT|O_EXCL|O_RDWR, 0o600) + write uuid4 / unlink, inside python3' },
  { ...py, id: 'py-shm-50ms', label: 'Python shmlock poll 50 ms', group: 'peer', indexed: false, shared: false, waits: true, pollS: 0.05, how: 'shmlock protocol, retry O_EXCL create every 50 ms' },
  { ...py, id: 'py-shm-1ms', label: 'Python shmlock poll 1 ms', group: 'peer', indexed: false, shared: false, waits: true, pollS: 0.001, how: 'shmlock protocol, retry O_EXCL create every 1 ms' },
  { ...py, id: 'py-shm-0.1ms', label: 'Python shmlock poll 0.1 ms', group: 'peer', indexed: false, shared: false, waits: true, pollS: 0.0001, how: 'shmlock protocol, retry O_EXCL create every 0.1 ms' },
];

/** The catalog entry of `id`; throws for an unknown id. */
export function implInfo(id: string): ImplInfo {
  const info = CATALOG.find((i) => i.id === id);
  if (info === undefined) throw new Error(`unknown implementation ${id}`);
  return info;
}
