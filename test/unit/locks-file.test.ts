/**
 * LocksFile in one process, sync API: conversions, partial releases, held() merging,
 * probe, lockSync + `using`, close, use after close, unusable paths, read-only files (in a
 * child running as an unprivileged user) and the owner model (two instances in one process
 * exclude each other; closing one keeps the other's locks). Every claim about "another
 * owner" is checked through a second instance, i.e. through the kernel.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { LockBusyError, LockClosedError, LockError, LockFileReplacedError, LockPathError, LocksFile, LockTimeoutError } from 'locksfile';
import { killAll } from '../helpers/children';
import { AgentCallError, spawnAgent, startAgent } from '../helpers/lf-agent';
import { fdsUnder } from '../helpers/fds';
import { tmpDir } from '../helpers/paths';
import { thrown } from '../helpers/thrown';

const W = true;
const R = false;
const seg = (start: number, count: number, write: boolean): { start: number; count: number; write: boolean } => ({ start, count, write });

let dir: string;
let lockPath: string;
const opened: LocksFile[] = [];

function open(p = lockPath): LocksFile {
  const lf = new LocksFile(p);
  opened.push(lf);
  return lf;
}

/** Descriptors open on anything in the test directory. */
function fdCount(): number {
  return fdsUnder(dir).length;
}

beforeEach(() => {
  dir = tmpDir();
  lockPath = path.join(dir, 'unit.lock');
});

afterEach(async () => {
  for (const lf of opened.splice(0)) lf.close();
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('conversion', () => {
  test('write -> read on a sub-range splits the write lock; read -> write merges it back', () => {
    const a = open();
    const b = open();
    expect(a.acquireSync([0, 10], { write: true })).toBe(true);
    expect(a.acquireSync([3, 2])).toBe(true);
    expect(a.held()).toEqual([seg(0, 3, W), seg(3, 2, R), seg(5, 5, W)]);
    // Another owner sees exactly that: it may read 3-4, nothing else.
    expect(b.acquireSync([3, 2], { blocking: false })).toBe(true);
    expect(b.acquireSync(2, { blocking: false })).toBe(false);
    expect(b.acquireSync(5, { blocking: false })).toBe(false);
    expect(b.acquireSync(3, { write: true, blocking: false })).toBe(false);
    b.release();
    expect(a.acquireSync([3, 2], { write: true })).toBe(true);
    expect(a.held()).toEqual([seg(0, 10, W)]);
    expect(b.probe(4)).toEqual({ start: 0, count: 10, write: true, pid: -1 });
  });

  test('the last acquire wins over a range spanning several own segments and gaps', () => {
    const a = open();
    a.acquireSync([0, 2], { write: true });
    a.acquireSync([4, 2]);
    a.acquireSync([8, 2], { write: true });
    expect(a.acquireSync([1, 8])).toBe(true);
    expect(a.held()).toEqual([seg(0, 1, W), seg(1, 8, R), seg(9, 1, W)]);
    expect(a.acquireSync([0, 10], { write: true })).toBe(true);
    expect(a.held()).toEqual([seg(0, 10, W)]);
  });

  test('an upgrade that cannot be granted leaves the read lock in place (non-blocking and timed out)', () => {
    const a = open();
    const b = open();
    const c = open();
    expect(a.acquireSync([0, 5])).toBe(true);
    expect(b.acquireSync(2)).toBe(true);
    expect(a.acquireSync([0, 5], { write: true, blocking: false })).toBe(false);
    expect(a.held()).toEqual([seg(0, 5, R)]);
    expect(a.acquireSync([0, 5], { write: true, timeout: 30 })).toBe(false);
    expect(a.held()).toEqual([seg(0, 5, R)]);
    expect(() => a.lockSync([0, 5], { write: true, blocking: false })).toThrow(LockBusyError);
    expect(a.held()).toEqual([seg(0, 5, R)]);
    // The kernel agrees: nobody writes 0-4, and the read lock still blocks a writer on 0.
    for (let i = 0; i < 5; i++) expect(c.probe(i)).toBeNull();
    expect(c.probe(0, { write: true })).toEqual({ start: 0, count: 5, write: false, pid: -1 });
    // Once b lets go, the upgrade goes through.
    b.release();
    expect(a.acquireSync([0, 5], { write: true, blocking: false })).toBe(true);
    expect(c.probe(3)).toEqual({ start: 0, count: 5, write: true, pid: -1 });
  });
});

describe('release', () => {
  test('a partial release splits a range; the middle becomes available to others', () => {
    const a = open();
    const b = open();
    a.acquireSync([0, 10], { write: true });
    a.release([3, 2]);
    expect(a.held()).toEqual([seg(0, 3, W), seg(5, 5, W)]);
    expect(b.acquireSync([3, 2], { write: true, blocking: false })).toBe(true);
    expect(b.acquireSync(2, { blocking: false })).toBe(false);
    expect(b.acquireSync(5, { blocking: false })).toBe(false);
  });

  test('releasing what is not held is a no-op; overlapping releases trim; release() drops everything', () => {
    const a = open();
    const b = open();
    a.acquireSync([10, 10], { write: true });
    a.acquireSync([30, 5]);
    a.release([0, 5]);
    a.release(25);
    expect(a.held()).toEqual([seg(10, 10, W), seg(30, 5, R)]);
    a.release([5, 7]); // trims 10-11
    a.release([18, 14]); // trims 18-19 and 30-31
    expect(a.held()).toEqual([seg(12, 6, W), seg(32, 3, R)]);
    expect(b.probe([0, 12], { write: true })).toBeNull();
    expect(b.probe([18, 14], { write: true })).toBeNull();
    a.release();
    expect(a.held()).toEqual([]);
    expect(b.probe([0, 100], { write: true })).toBeNull();
    a.release(); // again: nothing held, still fine
    expect(a.held()).toEqual([]);
  });

  test('release of the default spec is everything, acquire of the default spec is read lock 0', () => {
    const a = open();
    expect(a.acquireSync()).toBe(true);
    expect(a.held()).toEqual([seg(0, 1, R)]);
    a.acquireSync([5, 5], { write: true });
    a.release();
    expect(a.held()).toEqual([]);
  });
});

describe('held()', () => {
  test('adjacent ranges of one mode merge, different modes do not, and the list is sorted', () => {
    const a = open();
    a.acquireSync(2, { write: true });
    a.acquireSync(0, { write: true });
    a.acquireSync(1, { write: true });
    a.acquireSync([7, 1]);
    a.acquireSync([5, 2]);
    a.acquireSync(3);
    a.acquireSync({ start: 4, count: 1 }, { write: true });
    expect(a.held()).toEqual([seg(0, 3, W), seg(3, 1, R), seg(4, 1, W), seg(5, 3, R)]);
    a.acquireSync(4);
    expect(a.held()).toEqual([seg(0, 3, W), seg(3, 5, R)]);
    // held() is a copy: changing it changes nothing.
    const copy = a.held() as Array<{ start: number; count: number; write: boolean }>;
    copy.length = 0;
    expect(a.held()).toHaveLength(2);
  });

  test('many disjoint ranges are all listed', () => {
    const a = open();
    for (let i = 0; i < 2000; i += 2) a.acquireSync(i, { write: i % 4 === 0 });
    const held = a.held();
    expect(held).toHaveLength(1000);
    expect(held[999]).toEqual(seg(1998, 1, R));
    a.release([0, 1000]);
    expect(a.held()).toHaveLength(500);
  });
});

describe('probe', () => {
  test("reports another owner's blocking lock and changes nothing; own locks never block", () => {
    const a = open();
    const b = open();
    expect(b.probe([0, 100], { write: true })).toBeNull();
    a.acquireSync([10, 5], { write: true });
    a.acquireSync([20, 5]);
    expect(a.probe([0, 100], { write: true })).toBeNull();
    expect(b.probe(12)).toEqual({ start: 10, count: 5, write: true, pid: -1 });
    expect(b.probe([14, 3], { write: true })).toEqual({ start: 10, count: 5, write: true, pid: -1 });
    expect(b.probe([20, 5])).toBeNull(); // read vs read: compatible
    expect(b.probe(24, { write: true })).toEqual({ start: 20, count: 5, write: false, pid: -1 });
    expect(b.probe(15, { write: true })).toBeNull();
    expect(b.probe(9, { write: true })).toBeNull();
    expect(b.held()).toEqual([]);
    expect(a.held()).toEqual([seg(10, 5, W), seg(20, 5, R)]);
    expect(b.acquireSync(15, { write: true, blocking: false })).toBe(true);
  });
});

describe('lockSync and handles', () => {
  test("`using` releases exactly the handle's range at the end of the block", () => {
    const a = open();
    const b = open();
    a.acquireSync([0, 2]);
    {
      using h = a.lockSync([5, 3], { write: true });
      expect(h).toMatchObject({ start: 5, count: 3, write: true });
      expect(a.held()).toEqual([seg(0, 2, R), seg(5, 3, W)]);
      expect(b.acquireSync(6, { blocking: false })).toBe(false);
    }
    expect(a.held()).toEqual([seg(0, 2, R)]);
    expect(b.acquireSync(6, { write: true, blocking: false })).toBe(true);
  });

  test('`using` releases when the block throws', () => {
    const a = open();
    expect(() => {
      using _h = a.lockSync(3);
      throw new Error('boom');
    }).toThrow('boom');
    expect(a.held()).toEqual([]);
  });

  test('busy -> LockBusyError, timed out -> LockTimeoutError, nothing taken either way', () => {
    const a = open();
    const b = open();
    a.acquireSync(1, { write: true });
    const busy = thrown(() => b.lockSync([0, 3], { blocking: false }));
    expect(busy).toBeInstanceOf(LockBusyError);
    expect(busy).toMatchObject({ code: 'ERR_LOCK_BUSY' });
    const late = thrown(() => b.lockSync([0, 3], { timeout: 20 }));
    expect(late).toBeInstanceOf(LockTimeoutError);
    expect(late).toMatchObject({ code: 'ERR_LOCK_TIMEOUT' });
    expect(late).toBeInstanceOf(LockError);
    expect(b.held()).toEqual([]);
    expect(a.probe([0, 3], { write: true })).toBeNull();
  });

  test('release() of a handle is idempotent and harmless after close', () => {
    const a = open();
    const h = a.lockSync([0, 4], { write: true });
    const inner = a.lockSync(9);
    h.release();
    h.release();
    h[Symbol.dispose]();
    expect(a.held()).toEqual([seg(9, 1, R)]);
    a.close();
    expect(() => inner.release()).not.toThrow();
    expect(() => inner[Symbol.dispose]()).not.toThrow();
  });
});

describe('close', () => {
  test('is idempotent, drops every lock and closes the descriptor', () => {
    const fds = fdCount();
    const a = new LocksFile(lockPath);
    const b = open();
    expect(fdCount()).toBe(fds + 2);
    a.acquireSync([0, 10], { write: true });
    expect(a.closed).toBe(false);
    a.close();
    expect(a.closed).toBe(true);
    expect(fdCount()).toBe(fds + 1);
    a.close();
    a[Symbol.dispose]();
    expect(fdCount()).toBe(fds + 1);
    expect(b.probe([0, 10], { write: true })).toBeNull();
    expect(b.acquireSync([0, 10], { write: true, blocking: false })).toBe(true);
  });

  test('every call after close throws (or rejects with) LockClosedError', async () => {
    const a = new LocksFile(lockPath);
    a.close();
    const syncCalls: Array<() => unknown> = [
      () => a.acquireSync(0),
      () => a.acquireSync(0, { write: true, blocking: false }),
      () => a.lockSync(0),
      () => a.release(),
      () => a.release(0),
      () => a.held(),
      () => a.probe(0),
    ];
    for (const call of syncCalls) {
      const err = thrown(call);
      expect(err).toBeInstanceOf(LockClosedError);
      expect(err).toMatchObject({ code: 'ERR_LOCK_CLOSED' });
    }
    await expect(a.acquire(0)).rejects.toBeInstanceOf(LockClosedError);
    await expect(a.lock(0)).rejects.toBeInstanceOf(LockClosedError);
    await expect(a.withLock(0, undefined, () => 1)).rejects.toBeInstanceOf(LockClosedError);
    await a[Symbol.asyncDispose]();
  });

  test('`using` on the instance closes it', () => {
    const b = open();
    {
      using a = new LocksFile(lockPath);
      a.acquireSync(4, { write: true });
      expect(b.probe(4)).not.toBeNull();
    }
    expect(b.probe(4)).toBeNull();
  });
});

describe('the lock file', () => {
  test('is created if missing, never truncated or written', () => {
    const content = Buffer.from('precious data, not a lock file format');
    fs.writeFileSync(lockPath, content);
    const a = open();
    a.acquireSync([0, 100], { write: true });
    a.release([10, 5]);
    a.close();
    expect(fs.readFileSync(lockPath).equals(content)).toBe(true);
    const fresh = path.join(dir, 'fresh.lock');
    open(fresh).acquireSync(1000, { write: true });
    expect(fs.statSync(fresh).size).toBe(0);
    expect(fs.statSync(fresh).isFile()).toBe(true);
  });

  test('without a path: a fresh file in os.tmpdir() per instance', () => {
    const a = new LocksFile();
    const b = new LocksFile();
    try {
      expect(path.dirname(a.path)).toBe(os.tmpdir());
      expect(fs.statSync(a.path).isFile()).toBe(true);
      expect(b.path).not.toBe(a.path);
      expect(a.acquireSync(0, { write: true })).toBe(true);
      expect(open(a.path).probe(0)).toEqual({ start: 0, count: 1, write: true, pid: -1 });
      expect(b.acquireSync(0, { write: true, blocking: false })).toBe(true); // another file
    } finally {
      for (const lf of [a, b]) {
        lf.close();
        fs.rmSync(lf.path, { force: true });
      }
    }
  });

  test('a relative path is resolved against the working directory', () => {
    const rel = path.relative(process.cwd(), lockPath);
    const a = open(rel);
    expect(a.path).toBe(lockPath);
  });

  const UNUSABLE: ReadonlyArray<[label: string, errno: string, prepare: (p: string) => void]> = [
    [
      'a symlink to a file',
      'ELOOP',
      (p) => {
        fs.writeFileSync(`${p}.target`, '');
        fs.symlinkSync(`${p}.target`, p);
      },
    ],
    ['a dangling symlink (its target is not created)', 'ELOOP', (p) => fs.symlinkSync(`${p}.missing`, p)],
    ['a directory', 'EISDIR', (p) => void fs.mkdirSync(p)],
    ['in a missing directory', 'ENOENT', () => undefined],
    ['under a regular file', 'ENOTDIR', (p) => fs.writeFileSync(path.dirname(p), '')],
  ];

  test.each(UNUSABLE)('%s -> LockPathError (%s), no descriptor left open', (_label, errno, prepare) => {
    const target = errno === 'ENOENT' ? path.join(dir, 'nodir', 'x.lock') : errno === 'ENOTDIR' ? path.join(dir, 'file', 'x.lock') : path.join(dir, 'bad.lock');
    prepare(target);
    const entries = fs.readdirSync(dir).sort();
    const fds = fdCount();
    const err = thrown(() => new LocksFile(target));
    expect(err).toBeInstanceOf(LockPathError);
    expect(err).toMatchObject({ code: 'ERR_LOCK_PATH', errno, path: target });
    expect(fdCount()).toBe(fds);
    expect(fs.readdirSync(dir).sort()).toEqual(entries);
  });

  test('a FIFO -> LockPathError (not a regular file), without blocking in open()', () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fds = fdCount();
    const err = thrown(() => new LocksFile(fifo));
    expect(err).toBeInstanceOf(LockPathError);
    expect(err).toMatchObject({ code: 'ERR_LOCK_PATH', path: fifo, errno: undefined });
    expect(fdCount()).toBe(fds);
  });

  test('deleted while nothing is held: the next acquire reopens the file at the path', () => {
    const a = open();
    const b = open();
    fs.unlinkSync(lockPath);
    expect(a.acquireSync(1, { write: true })).toBe(true);
    expect(fs.existsSync(lockPath)).toBe(true);
    // b sits on the deleted inode; a fresh owner on the path sees a's lock.
    expect(open().probe(1)).toEqual({ start: 1, count: 1, write: true, pid: -1 });
    expect(b.probe(1)).toBeNull();
  });

  test('deleted while locks are held: LockFileReplacedError until everything is released', async () => {
    const a = open();
    a.acquireSync(1, { write: true });
    fs.unlinkSync(lockPath);
    const err = thrown(() => a.acquireSync(2));
    expect(err).toBeInstanceOf(LockFileReplacedError);
    expect(err).toMatchObject({ code: 'ERR_LOCK_FILE_REPLACED', path: lockPath });
    expect(thrown(() => a.acquireSync(3))).toBeInstanceOf(LockFileReplacedError);
    await expect(a.acquire(3)).rejects.toBeInstanceOf(LockFileReplacedError);
    expect(a.held()).toEqual([seg(1, 1, W)]);
    a.release();
    expect(a.acquireSync(2, { write: true })).toBe(true);
    expect(open().probe(2)).toEqual({ start: 2, count: 1, write: true, pid: -1 });
  });
});

describe('owner model: two instances in one process', () => {
  test("exclude each other like two processes; closing one keeps the other's locks", () => {
    const a = open();
    const b = open();
    const c = open();
    expect(a.acquireSync([0, 5], { write: true })).toBe(true);
    expect(b.acquireSync([10, 5])).toBe(true);
    expect(b.acquireSync(4, { blocking: false })).toBe(false);
    expect(b.acquireSync(4, { write: true, blocking: false })).toBe(false);
    expect(b.acquireSync(5, { write: true, blocking: false })).toBe(true);
    expect(a.acquireSync(12, { blocking: false })).toBe(true); // read + read
    expect(a.acquireSync(12, { write: true, blocking: false })).toBe(false);
    expect(a.acquireSync(12, { write: true, timeout: 20 })).toBe(false);
    expect(a.held()).toEqual([seg(0, 5, W), seg(12, 1, R)]);
    expect(b.held()).toEqual([seg(5, 1, W), seg(10, 5, R)]);

    a.close();
    // b keeps everything it had (OFD locks are not dropped by another descriptor's close).
    expect(b.held()).toEqual([seg(5, 1, W), seg(10, 5, R)]);
    expect(c.probe(5)).toEqual({ start: 5, count: 1, write: true, pid: -1 });
    expect(c.probe(11, { write: true })).toEqual({ start: 10, count: 5, write: false, pid: -1 });
    expect(c.acquireSync([10, 5], { write: true, blocking: false })).toBe(false);
    // and a's locks are gone.
    expect(c.acquireSync([0, 5], { write: true, blocking: false })).toBe(true);
    expect(b.acquireSync(12, { write: true, blocking: false })).toBe(true);
  });

  test('closing a plain fs descriptor of the same file drops nothing', () => {
    const a = open();
    const b = open();
    a.acquireSync([0, 3], { write: true });
    fs.closeSync(fs.openSync(lockPath, 'r'));
    expect(b.acquireSync(1, { blocking: false })).toBe(false);
    expect(b.probe(1)).toEqual({ start: 0, count: 3, write: true, pid: -1 });
  });
});

describe('read-only lock file (child running as uid 65534)', () => {
  function readOnlySetup(): { file: string; roDir: string } {
    const roDir = path.join(dir, 'ro');
    fs.mkdirSync(roDir);
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(roDir, 0o755);
    const file = path.join(roDir, 'ro.lock');
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o644);
    return { file, roDir };
  }

  test.each(['async', 'sync'] as const)('read locks work, write locks throw LockPathError (%s API)', async (mode) => {
    const { file } = readOnlySetup();
    const child = await startAgent(file, mode, { uid: 65534, gid: 65534 });
    const root = open(file);
    expect(await child.acquire([0, 4], false)).toMatchObject({ granted: true, held: [seg(0, 4, R)] });
    // The read lock is real: it blocks our write lock and is visible to us.
    expect(root.probe(2, { write: true })).toEqual({ start: 0, count: 4, write: false, pid: -1 });
    expect(root.acquireSync(2, { write: true, blocking: false })).toBe(false);
    expect(root.acquireSync(2, { blocking: false })).toBe(true);
    // Write locks are refused with a typed error; nothing changes.
    for (const span of [
      [10, 2],
      [0, 4],
    ] as const) {
      const err = await child.acquire(span, true).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AgentCallError);
      expect((err as AgentCallError).error).toMatchObject({ name: 'LockPathError', code: 'ERR_LOCK_PATH', errno: 'EBADF' });
    }
    expect(await child.held()).toEqual([seg(0, 4, R)]);
    expect(root.acquireSync([10, 2], { write: true, blocking: false })).toBe(true);
    // probe in write mode is allowed on a read-only descriptor.
    expect(await child.probe([10, 1], true)).toEqual({ start: 10, count: 2, write: true, pid: -1 });
    expect(await child.probe([20, 1], true)).toBeNull();
    await child.exit();
  });

  test('a missing file in a directory the user cannot write to -> LockPathError EACCES', async () => {
    const { roDir } = readOnlySetup();
    const missing = path.join(roDir, 'missing.lock');
    const { openError } = await spawnAgent(missing, 'async', { uid: 65534, gid: 65534 });
    expect(openError).toMatchObject({ name: 'LockPathError', code: 'ERR_LOCK_PATH', errno: 'EACCES' });
    expect(fs.existsSync(missing)).toBe(false);
  });
});
