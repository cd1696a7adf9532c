/**
 * A lock file that disappears or is replaced while in use (a tmp cleaner deletes it, someone
 * recreates it), with real processes: every new acquire lands on the file currently at the
 * path, waiters parked on the old inode move to the new one, and holders of locks on the old
 * inode hear LockFileReplacedError (ERR_LOCK_FILE_REPLACED) on their next call.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockFileReplacedError, LocksFile } from 'locksfile';
import { type LineChild, spawnNode } from '../helpers/children';
import { untilBlocked } from '../helpers/kernel-locks';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';
import { sleepSync } from '../helpers/sleep';

const scratch = useScratchDir('locksfile-rel-');
let lockPath: string;

beforeEach(() => {
  lockPath = path.join(scratch(), 'replaced.lock');
});

async function owner(): Promise<LineChild> {
  const child = spawnNode(fixture('owner'), [lockPath]);
  expect(await child.takeLine()).toMatch(/^ready \d+$/);
  return child;
}

const inode = (): number => fs.statSync(lockPath).ino;

/** A third party's view: who holds `[start, start+count)` on the file now at the path. */
function probeNow(start: number, count: number): ReturnType<LocksFile['probe']> {
  const lf = new LocksFile(lockPath);
  try {
    return lf.probe([start, count], { write: true });
  } finally {
    lf.close();
  }
}

/** Replaces the file at the path with a new one (a new inode), the way editors and restores do. */
function replaceByRename(): void {
  const tmp = `${lockPath}.new`;
  fs.writeFileSync(tmp, '');
  fs.renameSync(tmp, lockPath);
}

test.each([
  ['deleted by a tmp cleaner', (): void => fs.unlinkSync(lockPath)],
  ['replaced by a rename', replaceByRename],
])('file %s under a holder: a newcomer locks the new file; the holder hears ERR_LOCK_FILE_REPLACED, then continues on the new file', async (_what, replace) => {
  const holder = await owner();
  expect(await holder.ask('lock 0 4 w')).toBe('ok');
  const oldInode = inode();
  replace();
  // A newcomer creates (or opens) the file now at the path and is not excluded by the old lock:
  // this is the documented limit of lock files that others delete.
  const newcomer = await owner();
  expect(await newcomer.ask('lock 0 4 w 2000')).toBe('ok');
  expect(inode()).not.toBe(oldInode);
  // The holder is told on its next call, whatever it is.
  expect(await holder.ask('lock 10 1 r')).toBe('error ERR_LOCK_FILE_REPLACED');
  expect(await holder.ask('alock 11 1 r')).toBe('started');
  expect(await holder.takeLine((l) => l.startsWith('async '))).toBe('async error ERR_LOCK_FILE_REPLACED');
  // After releasing everything it works again, on the file now at the path: it waits for the newcomer.
  expect(await holder.ask('release')).toBe('ok');
  expect(await holder.ask('lock 0 4 w 300')).toBe('busy');
  expect(await newcomer.ask('release')).toBe('ok');
  expect(await holder.ask('lock 0 4 w 5000')).toBe('ok');
  expect(probeNow(0, 4)).toMatchObject({ start: 0, count: 4, write: true });
  expect(await newcomer.ask('lock 0 4 r 200')).toBe('busy');
});

test.each([
  ['sync', 'lock'],
  ['async', 'alock'],
])('a %s waiter parked on the old inode moves to the new file instead of taking the dead lock', async (_kind, command) => {
  const holder = await owner();
  expect(await holder.ask('lock 0 1 w')).toBe('ok');
  const waiter = await owner();
  if (command === 'alock') expect(await waiter.ask('alock 0 1 w')).toBe('started');
  else waiter.send('lock 0 1 w');
  await untilBlocked(lockPath, (w) => w.start === 0 && w.write); // it waits in the kernel, on the old inode
  replaceByRename();
  const newcomer = await owner();
  expect(await newcomer.ask('lock 0 1 w 2000')).toBe('ok');
  // The old holder lets go: the kernel grants the waiter the lock on the old inode, which the
  // waiter must notice and not report as acquired while the newcomer holds the new file.
  expect(await holder.ask('release')).toBe('ok');
  await new Promise((r) => setTimeout(r, 500));
  const granted = (l: string): boolean => l === 'ok' || l === 'async ok';
  expect(waiter.has(granted)).toBe(false);
  expect(probeNow(0, 1)).toMatchObject({ start: 0, count: 1, write: true });
  // Once the newcomer releases, the waiter gets the lock, on the new file.
  expect(await newcomer.ask('release')).toBe('ok');
  expect(granted(await waiter.takeLine(granted, 5000, 'the grant'))).toBe(true);
  expect(JSON.parse(await waiter.ask('held'))).toEqual([{ start: 0, count: 1, write: true }]);
  expect(await newcomer.ask('lock 0 1 r 200')).toBe('busy');
});

test('a file deleted while nobody holds anything is recreated by the next acquire, which lands on it', async () => {
  const lf = new LocksFile(lockPath);
  fs.unlinkSync(lockPath);
  expect(lf.acquireSync([3, 2], { write: true })).toBe(true);
  expect(fs.existsSync(lockPath)).toBe(true);
  expect(probeNow(3, 2)).toMatchObject({ start: 3, count: 2, write: true });
  lf.release();
  fs.unlinkSync(lockPath);
  expect(await lf.acquire([5, 1], { write: true })).toBe(true);
  expect(probeNow(5, 1)).toMatchObject({ start: 5, count: 1, write: true });
  lf.close();
});

test('in-process: the error names the path and the remedy, and release() clears it', () => {
  const lf = new LocksFile(lockPath);
  lf.acquireSync([0, 2], { write: true });
  fs.unlinkSync(lockPath);
  let err: unknown;
  try {
    lf.acquireSync(7);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LockFileReplacedError);
  expect(err).toMatchObject({ code: 'ERR_LOCK_FILE_REPLACED', path: lockPath });
  expect((err as Error).message).toMatch(/release/);
  expect(() => lf.acquireSync(8)).toThrow(LockFileReplacedError);
  lf.release();
  expect(lf.acquireSync(7)).toBe(true);
  expect(fs.existsSync(lockPath)).toBe(true);
  lf.close();
});

/**
 * The check after each grant is one fstat of the descriptor (link count, ctime); the path is
 * walked when the inode's names changed. These are the changes a link count alone would miss.
 * `settled`: the checks before the change ran on a file whose ctime is old enough to vouch for
 * it, so the change must be seen through the ctime.
 */
describe.each([
  ['young', false],
  ['settled', true],
])('same-file check on a %s file', (_age, settled) => {
  /** An instance holding index 0 that has checked the file (twice once the ctime settled). */
  function holding(): LocksFile {
    const lf = new LocksFile(lockPath);
    expect(lf.acquireSync(0, { write: true })).toBe(true);
    if (settled) {
      sleepSync(80);
      expect(lf.acquireSync(1)).toBe(true);
      expect(lf.acquireSync(2)).toBe(true);
    }
    return lf;
  }

  test.each([
    ['renamed away (moved to another name)', (): void => fs.renameSync(lockPath, `${lockPath}.moved`)],
    [
      'hard-linked elsewhere, then deleted at the path',
      (): void => {
        fs.linkSync(lockPath, `${lockPath}.link`);
        fs.unlinkSync(lockPath);
      },
    ],
    [
      'hard-linked elsewhere, then replaced by a rename',
      (): void => {
        fs.linkSync(lockPath, `${lockPath}.link`);
        replaceByRename();
      },
    ],
  ])('file %s: the next acquire throws ERR_LOCK_FILE_REPLACED', (_what, change) => {
    const lf = holding();
    change();
    expect(() => lf.acquireSync(5)).toThrow(LockFileReplacedError);
    lf.release();
    // On the file now at the path (recreated when it was only moved or deleted).
    expect(lf.acquireSync(5, { write: true })).toBe(true);
    expect(probeNow(5, 1)).toMatchObject({ start: 5, count: 1, write: true });
    lf.close();
  });

  test('a hard link added elsewhere leaves the file at the path: acquires go on', async () => {
    const lf = holding();
    fs.linkSync(lockPath, `${lockPath}.link`);
    expect(lf.acquireSync(5, { write: true })).toBe(true);
    expect(await lf.acquire(6, { write: true })).toBe(true);
    expect(probeNow(5, 2)).toMatchObject({ start: 5, write: true });
    lf.close();
  });
});
