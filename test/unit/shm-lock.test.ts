/**
 * ShmLock within one process: validation, reentrancy, timeouts, the exit event, handles,
 * stale and foreign files, symlinks and the inconsistency report. Two instances of one name
 * exclude each other exactly like two processes (each holds its own kernel lock).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ExitEvent,
  InvalidArgumentError,
  LockAbortError,
  LockBusyError,
  LocksFile,
  LockPathError,
  LockTimeoutError,
  ShmLock,
  ShmLockInconsistentError,
} from 'locksfile';
import { untilKernel } from '../helpers/kernel-locks';
import { tmpDir } from '../helpers/paths';

let dir: string;
let name: string;
let file: string;

beforeEach(() => {
  dir = tmpDir('shm-lock-unit-');
  name = `lock-${randomUUID()}`;
  file = path.join(dir, name);
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function make(options: ConstructorParameters<typeof ShmLock>[1] = {}): ShmLock {
  return new ShmLock(name, { dir, ...options });
}

/** Canonical uuid text -> 16 bytes. */
function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

const UUID4 = '0f4c5b1e-8a39-4d6b-9c2e-5b7a1d3e9f40';
const UUID8 = '0f4c5b1e-8a39-8d6b-9c2e-5b7a1d3e9f40';

describe('validation', () => {
  test.each([
    ['', 'ERR_INVALID_ARG_VALUE'],
    ['.', 'ERR_INVALID_ARG_VALUE'],
    ['..', 'ERR_INVALID_ARG_VALUE'],
    ['a/b', 'ERR_INVALID_ARG_VALUE'],
    ['/abs', 'ERR_INVALID_ARG_VALUE'],
    ['nul\0byte', 'ERR_INVALID_ARG_VALUE'],
    ['x'.repeat(256), 'ERR_INVALID_ARG_VALUE'],
    ['é'.repeat(128), 'ERR_INVALID_ARG_VALUE'], // 256 bytes in UTF-8
    [42, 'ERR_INVALID_ARG_TYPE'],
    [undefined, 'ERR_INVALID_ARG_TYPE'],
  ])('name %j is refused with %s', (bad, code) => {
    const attempt = (): ShmLock => new ShmLock(bad as string, { dir });
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(expect.objectContaining({ code, argument: 'name' }));
  });

  test('names up to 255 bytes, dots inside and spaces are fine', () => {
    expect(new ShmLock('x'.repeat(255), { dir }).name).toHaveLength(255);
    expect(new ShmLock('.hidden', { dir }).name).toBe('.hidden');
    expect(new ShmLock('db migrate...v2', { dir }).name).toBe('db migrate...v2');
  });

  test.each([
    [{ pollInterval: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ pollInterval: -5 }, 'ERR_OUT_OF_RANGE'],
    [{ pollInterval: Number.NaN }, 'ERR_OUT_OF_RANGE'],
    [{ pollInterval: '50' }, 'ERR_INVALID_ARG_TYPE'],
    [{ exitEvent: {} }, 'ERR_INVALID_ARG_TYPE'],
    [{ dir: '' }, 'ERR_INVALID_ARG_VALUE'],
    [{ dir: 7 }, 'ERR_INVALID_ARG_TYPE'],
    [{ description: 7 }, 'ERR_INVALID_ARG_TYPE'],
    [{ logger: { debug: 1 } }, 'ERR_INVALID_ARG_TYPE'],
  ])('options %j are refused with %s', (options, code) => {
    expect(() => new ShmLock(name, options as never)).toThrow(expect.objectContaining({ code }));
  });

  test.each([[-1], [Number.NaN], [2 ** 31], ['100'], [{}]])('timeout %j is refused', async (timeout) => {
    const lock = make();
    await expect(lock.acquire(timeout as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => lock.acquireSync(timeout as never)).toThrow(InvalidArgumentError);
    if (typeof timeout === 'number') {
      await expect(lock.lock({ timeout })).rejects.toThrow(expect.objectContaining({ argument: 'options.timeout' }));
      await expect(lock.withLock({ timeout }, () => 1)).rejects.toThrow(expect.objectContaining({ argument: 'options.timeout' }));
    }
    expect(fs.existsSync(file)).toBe(false);
  });

  test('addExitHandlers options and the ExitEvent trigger are checked', () => {
    const lock = make();
    expect(() => lock.addExitHandlers({ exit: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', argument: 'options.exit' }));
    expect(() => lock.addExitHandlers({ finalization: 1 } as never)).toThrow(expect.objectContaining({ argument: 'options.finalization' }));
    expect(() => lock.addExitHandlers(5 as never)).toThrow(InvalidArgumentError);
    expect(() => new ExitEvent({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', argument: 'trigger' }));
  });

  test('defaults: /dev/shm, 50 ms, empty description; description is settable and checked', () => {
    const lock = new ShmLock(name);
    expect(lock.path).toBe(`/dev/shm/${name}`);
    expect(lock.pollInterval).toBe(50);
    expect(lock.description).toBe('');
    lock.description = 'migrations';
    expect(lock.description).toBe('migrations');
    expect(() => {
      lock.description = 5 as unknown as string;
    }).toThrow(InvalidArgumentError);
    expect(String(lock)).toBe(`ShmLock(name=${name}, uuid=${lock.uuid}, pollInterval=50, description=migrations)`);
  });

  test('uuid: canonical, version 8 (the mark of a holder with a kernel lock), unique per instance', () => {
    const a = make();
    const b = make();
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.uuid).not.toBe(b.uuid);
  });
});

describe('acquire and release', () => {
  test('creates the file with mode 0600 holding the uuid, removes it on release', async () => {
    const lock = make();
    expect(await lock.acquire()).toBe(true);
    expect(lock.acquired).toBe(true);
    const stat = fs.lstatSync(file);
    expect(stat.isFile()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file)).toEqual(uuidBytes(lock.uuid));
    expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
    expect(lock.release()).toBe(true);
    expect(lock.acquired).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(lock.debugGetUuidOfLockingLock()).toBeNull();
  });

  test('reentrant: nested acquires count, the last release frees, extra releases return false', async () => {
    const lock = make();
    const other = make();
    expect(await lock.acquire()).toBe(true);
    expect(lock.acquireSync(false)).toBe(true);
    expect(await lock.acquire(0)).toBe(true);
    expect(lock.release()).toBe(false);
    expect(lock.release()).toBe(false);
    expect(lock.acquired).toBe(true);
    expect(other.acquireSync(false)).toBe(false);
    expect(lock.release()).toBe(true);
    expect(lock.release()).toBe(false);
    expect(other.acquireSync(false)).toBe(true);
    expect(other.release()).toBe(true);
  });

  test('release(true) frees whatever the count; release of an unheld lock returns false', async () => {
    const lock = make();
    expect(lock.release()).toBe(false);
    expect(lock.release(true)).toBe(false);
    for (let i = 0; i < 3; i++) expect(await lock.acquire()).toBe(true);
    expect(lock.release(true)).toBe(true);
    expect(lock.acquired).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(() => lock.release('yes' as never)).toThrow(InvalidArgumentError);
  });

  test('timeouts: false and 0 try once, a number waits that long', async () => {
    const holder = make();
    const lock = make();
    expect(holder.acquireSync(5000)).toBe(true);
    expect(await lock.acquire(false)).toBe(false);
    expect(await lock.acquire(0)).toBe(false);
    expect(lock.acquireSync(false)).toBe(false);
    expect(lock.acquireSync(0)).toBe(false);
    let t0 = performance.now();
    expect(await lock.acquire(120)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    t0 = performance.now();
    expect(lock.acquireSync(120)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    expect(holder.release()).toBe(true);
  });

  test('a waiter gets the lock as soon as the holder releases', async () => {
    const holder = make();
    const lock = make({ pollInterval: 5000 });
    expect(await holder.acquire()).toBe(true);
    const waiting = lock.acquire();
    await untilKernel(lock.path, (locks) => locks.some((l) => l.blocked), 'the blocked wait'); // asleep in the kernel, not between polls
    const t0 = performance.now();
    expect(holder.release()).toBe(true);
    expect(await waiting).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000); // the kernel wakes it; 5 s polling would not
    expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
    lock.release();
  });

  test('concurrent acquires of one instance both succeed, counted', async () => {
    const holder = make();
    const lock = make();
    holder.acquireSync(5000);
    const both = Promise.all([lock.acquire(), lock.acquire(2000)]);
    await new Promise((r) => setTimeout(r, 30));
    holder.release();
    expect(await both).toEqual([true, true]);
    expect(lock.release()).toBe(false);
    expect(lock.release()).toBe(true);
  });

  test('release deletes only its own file: a replaced file is left alone', async () => {
    const lock = make();
    expect(await lock.acquire()).toBe(true);
    fs.unlinkSync(file);
    fs.writeFileSync(file, uuidBytes(UUID4), { mode: 0o600 });
    expect(() => lock.queryForErrorAfterInterrupt()).toThrow(ShmLockInconsistentError);
    expect(lock.release()).toBe(false);
    expect(fs.readFileSync(file)).toEqual(uuidBytes(UUID4));
  });
});

describe('handles (the vocabulary shared with LocksFile)', () => {
  test('lock() resolves a handle that releases on dispose, once', async () => {
    const lock = make();
    {
      await using handle = await lock.lock();
      expect(handle.name).toBe(name);
      expect(lock.acquired).toBe(true);
      const nested = lock.lockSync();
      nested.release();
      nested.release();
      expect(lock.acquired).toBe(true);
    }
    expect(lock.acquired).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('not acquired: LockBusyError (blocking: false), LockTimeoutError (timeout, 0 included), LockAbortError (signal, exit event)', async () => {
    const holder = make();
    const lock = make();
    holder.acquireSync();
    await expect(lock.lock({ blocking: false })).rejects.toBeInstanceOf(LockBusyError);
    expect(() => lock.lockSync({ blocking: false })).toThrow(expect.objectContaining({ code: 'ERR_LOCK_BUSY' }));
    await expect(lock.lock({ timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    const t0 = performance.now();
    await expect(lock.lock({ timeout: 30 })).rejects.toThrow(expect.objectContaining({ code: 'ERR_LOCK_TIMEOUT' }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    expect(() => lock.lockSync({ timeout: 30 })).toThrow(LockTimeoutError);
    const controller = new AbortController();
    const pending = lock.lock({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 20);
    await expect(pending).rejects.toThrow(expect.objectContaining({ name: 'AbortError', code: 'ABORT_ERR', cause: new Error('enough') }));
    await expect(lock.lock({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(LockAbortError);
    lock.getExitEvent().set();
    await expect(lock.lock()).rejects.toBeInstanceOf(LockAbortError);
    lock.getExitEvent().clear();
    expect(() => lock.lockSync({ signal: controller.signal } as never)).toThrow(expect.objectContaining({ argument: 'options.signal' }));
    // None of them left anything: the holder's file is intact and the waiter holds nothing.
    expect(lock.acquired).toBe(false);
    expect(holder.debugGetUuidOfLockingLock()).toBe(holder.uuid);
    holder.release();
  });

  test('withLock(options?, fn): callback last, runs holding the lock, releases also when fn throws', async () => {
    const lock = make();
    expect(await lock.withLock(() => (lock.acquired ? 'ran' : 'no'))).toBe('ran');
    expect(await lock.withLock({ timeout: 100 }, async () => (lock.acquired ? 'ran' : 'no'))).toBe('ran');
    expect(lock.acquired).toBe(false);
    await expect(
      lock.withLock(undefined, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(lock.acquired).toBe(false);
    const holder = make();
    holder.acquireSync();
    let ran = false;
    await expect(
      lock.withLock({ blocking: false }, () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(LockBusyError);
    expect(ran).toBe(false);
    holder.release();
    await expect(lock.withLock('nope' as never)).rejects.toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', argument: 'fn' }));
    // The shape before 0.2 (callback first) is refused, not misread.
    await expect(lock.withLock((() => 1) as never, { timeout: 5 } as never)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', argument: 'fn' }),
    );
    expect(lock.acquired).toBe(false);
  });
});

describe('exit event', () => {
  test('while set, acquires return false at once; clear() makes them work again', async () => {
    const lock = make();
    const event = lock.getExitEvent();
    expect(event).toBeInstanceOf(ExitEvent);
    event.set();
    expect(event.isSet()).toBe(true);
    expect(event.signal.aborted).toBe(true);
    expect(await lock.acquire()).toBe(false);
    expect(lock.acquireSync()).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    event.clear();
    expect(event.signal.aborted).toBe(false);
    expect(await lock.acquire()).toBe(true);
    lock.release();
  });

  test('setting it stops a pending wait (kernel wait and poll wait alike)', async () => {
    const event = new ExitEvent();
    const holder = make();
    const lock = make({ exitEvent: event });
    expect(lock.getExitEvent()).toBe(event);
    holder.acquireSync(5000);
    const waiting = lock.acquire();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    event.set();
    expect(await waiting).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
    holder.release();
    // A foreign (unmarked) file makes the waiter poll; the event stops that too.
    event.clear();
    fs.writeFileSync(file, uuidBytes(UUID4), { mode: 0o600 });
    const polling = make({ exitEvent: event, pollInterval: 10_000 }).acquire();
    await new Promise((r) => setTimeout(r, 50));
    event.set();
    expect(await polling).toBe(false);
  });

  test('an AbortSignal works as the exit event', async () => {
    const controller = new AbortController();
    const holder = make();
    const lock = make({ exitEvent: controller.signal });
    holder.acquireSync(5000);
    const waiting = lock.acquire();
    controller.abort();
    expect(await waiting).toBe(false);
    expect(lock.getExitEvent().isSet()).toBe(true);
    holder.release();
    expect(new ExitEvent(AbortSignal.abort()).isSet()).toBe(true);
  });
});

describe('files this lock did not write', () => {
  test('a foreign holder (uuid4, no kernel lock) is never broken', async () => {
    fs.writeFileSync(file, uuidBytes(UUID4), { mode: 0o600 });
    const lock = make({ pollInterval: 20 });
    expect(lock.debugGetUuidOfLockingLock()).toBe(UUID4);
    expect(await lock.acquire(false)).toBe(false);
    expect(await lock.acquire(150)).toBe(false);
    expect(lock.acquireSync(60)).toBe(false);
    expect(fs.readFileSync(file)).toEqual(uuidBytes(UUID4));
    lock.queryForErrorAfterInterrupt();
    // The foreign holder releases: the poll picks it up.
    const waiting = lock.acquire(2000);
    setTimeout(() => fs.unlinkSync(file), 50);
    expect(await waiting).toBe(true);
    lock.release();
  });

  test('an empty or all-zero file without holder is left to its creator for the grace period, reported as dangling, then broken', async () => {
    const lock = make({ pollInterval: 10 }); // grace: max(1 s, 20 x 10 ms)
    for (const content of [Buffer.alloc(0), Buffer.alloc(16)]) {
      fs.writeFileSync(file, content, { mode: 0o600 });
      const t0 = performance.now();
      expect(await lock.acquire(60)).toBe(false);
      expect(lock.acquireSync(false)).toBe(false);
      expect(lock.debugGetUuidOfLockingLock()).toBeNull();
      expect(fs.readFileSync(file)).toEqual(content);
      expect(() => lock.queryForErrorAfterInterrupt()).toThrow(ShmLockInconsistentError);
      expect(await lock.acquire(3000)).toBe(true);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
      expect(fs.readFileSync(file)).toEqual(uuidBytes(lock.uuid));
      expect(lock.release()).toBe(true);
    }
  });

  test('an empty file whose creator holds a kernel lock is never broken, however old', async () => {
    fs.writeFileSync(file, '', { mode: 0o600 });
    const creator = new LocksFile(file);
    expect(creator.acquireSync([0, 1], { write: true, blocking: false })).toBe(true);
    const lock = make({ pollInterval: 10 });
    expect(await lock.acquire(1300)).toBe(false);
    expect(fs.readFileSync(file)).toHaveLength(0);
    creator.close();
    expect(await lock.acquire(3000)).toBe(true);
    lock.release();
  });

  test('a marked file (version 8) without a live kernel lock is a dead holder: broken and taken', async () => {
    fs.writeFileSync(file, uuidBytes(UUID8), { mode: 0o600 });
    const lock = make();
    lock.queryForErrorAfterInterrupt(); // recoverable, not an error
    expect(lock.acquireSync(false)).toBe(true);
    expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
    lock.release();
    fs.writeFileSync(file, uuidBytes(UUID8), { mode: 0o600 });
    expect(await lock.acquire(false)).toBe(true);
    lock.release();
  });

  test('wrong size and our own uuid without holding are inconsistent', () => {
    const lock = make();
    fs.writeFileSync(file, Buffer.alloc(5, 1));
    expect(() => lock.queryForErrorAfterInterrupt()).toThrow(expect.objectContaining({ code: 'ERR_SHMLOCK_INCONSISTENT' }));
    fs.writeFileSync(file, uuidBytes(lock.uuid));
    expect(() => lock.queryForErrorAfterInterrupt()).toThrow(ShmLockInconsistentError);
  });

  test('a symlink planted under the name is refused, never followed', async () => {
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'keep');
    fs.symlinkSync(target, file);
    const lock = make();
    await expect(lock.acquire()).rejects.toThrow(expect.objectContaining({ code: 'ERR_LOCK_PATH', errno: 'ELOOP' }));
    expect(() => lock.acquireSync(false)).toThrow(LockPathError);
    expect(() => lock.debugGetUuidOfLockingLock()).toThrow(LockPathError);
    expect(() => lock.queryForErrorAfterInterrupt()).toThrow(ShmLockInconsistentError);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep');
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
  });

  test('a directory or FIFO under the name is an error, not a lock', async () => {
    fs.mkdirSync(file);
    await expect(make().acquire(false)).rejects.toThrow(LockPathError);
    fs.rmdirSync(file);
    execFileSync('mkfifo', [file]);
    await expect(make().acquire(false)).rejects.toThrow(expect.objectContaining({ code: 'ERR_LOCK_PATH' }));
    expect(() => make().queryForErrorAfterInterrupt()).toThrow(ShmLockInconsistentError);
  });

  test('a missing directory is a LockPathError', async () => {
    await expect(new ShmLock(name, { dir: path.join(dir, 'missing') }).acquire(false)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_LOCK_PATH', errno: 'ENOENT' }),
    );
  });
});

describe('publishing the lock file', () => {
  /** The real `fs` module the library uses, for spying on its `openSync`. */
  const nodeFs = jest.requireActual<typeof fs>('node:fs');
  const TMPFILE_BIT = 0o20000000;

  function isTmpfileOpen(flags: fs.OpenMode | undefined): boolean {
    return typeof flags === 'number' && (flags & TMPFILE_BIT) !== 0;
  }

  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('the name appears complete (locked, with the uuid) through O_TMPFILE + linkat; a lost race leaves nothing behind', async () => {
    const open = jest.spyOn(nodeFs, 'openSync');
    const holder = make();
    expect(holder.acquireSync(false)).toBe(true);
    expect(open.mock.calls.filter(([target, flags]) => target === dir && isTmpfileOpen(flags))).toHaveLength(1);
    expect(fs.readFileSync(file)).toEqual(uuidBytes(holder.uuid));
    expect(fs.lstatSync(file).mode & 0o777).toBe(0o600);
    const other = make({ pollInterval: 10 });
    expect(other.acquireSync(false)).toBe(false);
    expect(await other.acquire(40)).toBe(false);
    // Besides the name, only the fair queue's side file, created (empty) by the wait.
    expect(fs.readdirSync(dir).sort()).toEqual([`.${name}.queue`, name]);
    expect(fs.statSync(path.join(dir, `.${name}.queue`)).size).toBe(0);
    const waiting = other.acquire(2000);
    setTimeout(() => holder.release(), 30);
    expect(await waiting).toBe(true);
    expect(fs.readFileSync(file)).toEqual(uuidBytes(other.uuid));
    other.release();
    expect(fs.readdirSync(dir)).toEqual([`.${name}.queue`]);
  });

  /** Makes `open(O_TMPFILE)` fail as on a file system without it; `after(target)` runs after every other open. */
  function withoutTmpfile(after: (target: fs.PathLike) => void = () => undefined): jest.SpyInstance {
    const realOpen = nodeFs.openSync;
    return jest.spyOn(nodeFs, 'openSync').mockImplementation((target, flags, mode) => {
      if (isTmpfileOpen(flags)) throw Object.assign(new Error('EOPNOTSUPP: operation not supported'), { code: 'EOPNOTSUPP', errno: -95, syscall: 'open' });
      const fd = realOpen(target, flags, mode);
      after(target);
      return fd;
    });
  }

  test('without O_TMPFILE it falls back to the exclusive create, and tries O_TMPFILE only once', async () => {
    const open = withoutTmpfile();
    const holder = make();
    expect(holder.acquireSync(false)).toBe(true);
    expect(fs.readFileSync(file)).toEqual(uuidBytes(holder.uuid));
    expect(fs.lstatSync(file).mode & 0o777).toBe(0o600);
    const other = make({ pollInterval: 10 });
    expect(other.acquireSync(false)).toBe(false);
    const waiting = other.acquire(2000);
    setTimeout(() => holder.release(), 30);
    expect(await waiting).toBe(true);
    other.release();
    expect(holder.acquireSync(false)).toBe(true);
    holder.release();
    expect(open.mock.calls.filter(([, flags]) => isTmpfileOpen(flags))).toHaveLength(2);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('fallback: a creator whose empty file was broken before it locked it starts over instead of holding a phantom', () => {
    const staller = make();
    const other = make();
    let stalled = false;
    withoutTmpfile((target) => {
      if (target !== file || stalled) return;
      stalled = true;
      // While `staller` is between its create and its kernel lock: a waiter breaks the file as
      // a dead creation, and `other` creates and holds the name.
      fs.unlinkSync(file);
      expect(other.acquireSync(false)).toBe(true);
    });
    expect(staller.acquireSync(false)).toBe(false);
    expect(stalled).toBe(true);
    expect(other.acquired).toBe(true);
    expect(fs.readFileSync(file)).toEqual(uuidBytes(other.uuid));
    expect(other.release()).toBe(true);
    expect(staller.acquireSync(false)).toBe(true);
    staller.release();
  });
});
