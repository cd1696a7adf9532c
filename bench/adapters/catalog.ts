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
  /**
   * Measured only in the per-use workload (open, acquire, release, close per use): our
   * path-style usage, fs-ext with open/close, and cross-process-lock (whose contended path is
   * a 500 ms poll after a non-atomic check).
   */
  readonly perUseOnly?: boolean;
  /** Measured only in the recovery workload (a stale setting that matters only when a holder dies). */
  readonly recoveryOnly?: boolean;
  /**
   * Measured only where grant order matters (counter, fairness, wide writer): our LocksFile
   * with `fair: false`, beside the default fair rows, to show what the queue costs and buys.
   */
  readonly orderOnly?: boolean;
  /** Where its lock lives: a file in the run's scratch directory, or a name in /dev/shm. */
  readonly lockDir: 'scratch' | 'shm';
}

const node = { runtime: 'node', lockDir: 'scratch' } as const;
const py = { runtime: 'python', mode: 'sync', lockDir: 'scratch' } as const;
const perUse = { perUseOnly: true, indexed: false, shared: false, waits: false } as const;

/** Every implementation, ours first. */
export const CATALOG: readonly ImplInfo[] = [
  {
    ...node,
    id: 'ours-sync',
    label: 'LocksFile acquireSync',
    group: 'ours',
    mode: 'sync',
    indexed: true,
    shared: true,
    waits: true,
    how: 'lf.acquireSync(n, { write }) / lf.release(n)',
  },
  {
    ...node,
    id: 'ours-async',
    label: 'LocksFile acquire',
    group: 'ours',
    mode: 'async',
    indexed: true,
    shared: true,
    waits: true,
    how: 'await lf.acquire(n, { write }) / lf.release(n)',
  },
  {
    ...node,
    id: 'ours-sync-barging',
    label: 'LocksFile acquireSync, fair: false',
    group: 'ours',
    mode: 'sync',
    indexed: true,
    shared: true,
    waits: true,
    orderOnly: true,
    how: 'new LocksFile(p, { fair: false }); lf.acquireSync(n, { write }) / lf.release(n)',
  },
  {
    ...node,
    id: 'ours-async-barging',
    label: 'LocksFile acquire, fair: false',
    group: 'ours',
    mode: 'async',
    indexed: true,
    shared: true,
    waits: true,
    orderOnly: true,
    how: 'new LocksFile(p, { fair: false }); await lf.acquire(n, { write }) / lf.release(n)',
  },
  {
    ...node,
    id: 'ours-shm-sync',
    label: 'ShmLock acquireSync',
    group: 'ours',
    mode: 'sync',
    indexed: false,
    shared: false,
    waits: true,
    lockDir: 'shm',
    how: 'shm.acquireSync() / shm.release(): O_EXCL-published file in /dev/shm plus an OFD lock on it',
  },
  {
    ...node,
    id: 'ours-shm-async',
    label: 'ShmLock acquire',
    group: 'ours',
    mode: 'async',
    indexed: false,
    shared: false,
    waits: true,
    lockDir: 'shm',
    how: 'await shm.acquire() / shm.release()',
  },
  {
    ...node,
    ...perUse,
    id: 'ours-sync-per-use',
    label: 'LocksFile per use (sync)',
    group: 'ours',
    mode: 'sync',
    how: 'new LocksFile(path); acquireSync(n); release(n); close(): open + lock + unlock + close per use',
  },
  {
    ...node,
    ...perUse,
    id: 'ours-async-per-use',
    label: 'LocksFile per use (async)',
    group: 'ours',
    mode: 'async',
    how: 'new LocksFile(path); await acquire(n); release(n); close(): open + lock + unlock + close per use',
  },
  {
    ...node,
    id: 'raw-fcntl',
    label: 'raw fcntl OFD (koffi)',
    group: 'baseline',
    mode: 'sync',
    indexed: true,
    shared: true,
    waits: true,
    how: 'koffi fcntl(fd, F_OFD_SETLK, buf) on a pre-filled 32-byte struct flock; F_OFD_SETLKW when busy',
  },
  {
    ...node,
    id: 'raw-fcntl-pool',
    label: 'raw fcntl on libuv pool (koffi .async)',
    group: 'baseline',
    mode: 'async',
    indexed: true,
    shared: true,
    waits: false,
    how: 'fcntl.async(fd, F_OFD_SETLK, buf, cb): what any thread-pool lock call costs',
  },
  {
    ...node,
    id: 'fs-ext-sync',
    label: 'fs-ext flockSync',
    group: 'peer',
    mode: 'sync',
    indexed: false,
    shared: true,
    waits: true,
    how: "flockSync(fd, 'ex' | 'sh') / flockSync(fd, 'un'), whole file",
  },
  {
    ...node,
    id: 'fs-ext-async',
    label: 'fs-ext flock, naive async',
    group: 'peer',
    mode: 'async',
    indexed: false,
    shared: true,
    waits: true,
    how: "naive: flock(fd, 'ex' | 'sh', cb) and flock(fd, 'un', cb), both a libuv-pool round trip; whole file",
  },
  {
    ...node,
    id: 'fs-ext-well',
    label: 'fs-ext used well',
    group: 'peer',
    mode: 'async',
    indexed: false,
    shared: true,
    waits: true,
    how: "flockSync(fd, 'exnb') on the calling thread; only when busy await flock(fd, 'ex') on the libuv pool; unlock flockSync(fd, 'un'); whole file",
  },
  {
    ...node,
    ...perUse,
    id: 'fs-ext-per-use',
    label: 'fs-ext used well, per use',
    group: 'peer',
    mode: 'async',
    how: 'open(path) + fs-ext used well + close per use; whole file',
  },
  {
    ...node,
    id: 'os-lock',
    label: 'os-lock lock/unlock',
    group: 'peer',
    mode: 'async',
    indexed: true,
    shared: true,
    waits: true,
    how: 'await lock(fd, n, 1, { exclusive }) / await unlock(fd, n, 1): POSIX F_SETLKW on the libuv pool',
  },
  {
    ...node,
    id: 'proper-lockfile',
    label: 'proper-lockfile lock',
    group: 'peer',
    mode: 'async',
    indexed: false,
    shared: false,
    waits: true,
    how: 'release = await lock(file, { realpath: false, retries: forever, 1 ms }) / await release(): mkdir <file>.lock, mtime refreshed every 5 s, stale after 10 s (default)',
  },
  {
    ...node,
    id: 'proper-lockfile-sync',
    label: 'proper-lockfile lockSync',
    group: 'peer',
    mode: 'sync',
    indexed: false,
    shared: false,
    waits: false,
    how: 'release = lockSync(file, { realpath: false }) / release() (cannot wait)',
  },
  {
    ...node,
    id: 'lockfile',
    label: 'lockfile lock',
    group: 'peer',
    mode: 'async',
    indexed: false,
    shared: false,
    waits: true,
    how: 'lock(path, { wait, pollPeriod: 1 }, cb) / unlock(path, cb): O_EXCL create + polling',
  },
  {
    ...node,
    ...perUse,
    id: 'cross-process-lock',
    label: 'cross-process-lock',
    group: 'peer',
    mode: 'async',
    how: 'unlock = await lock(file) (existsSync, then write <file>.lock with pid+time; retry every 500 ms) / await unlock()',
  },
  {
    ...node,
    recoveryOnly: true,
    indexed: false,
    shared: false,
    waits: false,
    id: 'proper-lockfile-stale-2s',
    label: 'proper-lockfile lock, stale 2 s',
    group: 'peer',
    mode: 'async',
    how: 'proper-lockfile lock as above with stale: 2000 (its minimum; default 10,000)',
  },
  {
    ...node,
    recoveryOnly: true,
    indexed: false,
    shared: false,
    waits: false,
    id: 'lockfile-stale-2s',
    label: 'lockfile lock, stale 2 s',
    group: 'peer',
    mode: 'async',
    how: 'lockfile lock as above with stale: 2000 (default: none, a dead holder blocks forever)',
  },
  {
    ...node,
    id: 'lockfile-sync',
    label: 'lockfile lockSync',
    group: 'peer',
    mode: 'sync',
    indexed: false,
    shared: false,
    waits: false,
    how: 'lockSync(path) / unlockSync(path) (cannot wait)',
  },
  {
    ...py,
    id: 'py-lockf',
    label: 'Python fcntl.lockf (pylocksfile)',
    group: 'peer',
    indexed: true,
    shared: true,
    waits: true,
    how: 'fcntl.lockf(fd, LOCK_EX, 1, n) / lockf(fd, LOCK_UN, 1, n), measured inside python3',
  },
  {
    ...py,
    lockDir: 'shm',
    id: 'py-shm',
    label: 'Python shm create/unlink (shmlock)',
    group: 'peer',
    indexed: false,
    shared: false,
    waits: false,
    how: 'os.open(/dev/shm/name, O_CREAT|O_EXCL|O_RDWR, 0o600) + write uuid4 / unlink, inside python3',
  },
  {
    ...py,
    lockDir: 'shm',
    id: 'py-shm-50ms',
    label: 'Python shmlock poll 50 ms',
    group: 'peer',
    indexed: false,
    shared: false,
    waits: true,
    pollS: 0.05,
    how: 'shmlock protocol, retry O_EXCL create every 50 ms',
  },
  {
    ...py,
    lockDir: 'shm',
    id: 'py-shm-1ms',
    label: 'Python shmlock poll 1 ms',
    group: 'peer',
    indexed: false,
    shared: false,
    waits: true,
    pollS: 0.001,
    how: 'shmlock protocol, retry O_EXCL create every 1 ms',
  },
  {
    ...py,
    lockDir: 'shm',
    id: 'py-shm-0.1ms',
    label: 'Python shmlock poll 0.1 ms',
    group: 'peer',
    indexed: false,
    shared: false,
    waits: true,
    pollS: 0.0001,
    how: 'shmlock protocol, retry O_EXCL create every 0.1 ms',
  },
];

/** The catalog entry of `id`; throws for an unknown id. */
export function implInfo(id: string): ImplInfo {
  const info = CATALOG.find((i) => i.id === id);
  if (info === undefined) throw new Error(`unknown implementation ${id}`);
  return info;
}
