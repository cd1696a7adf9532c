/**
 * Hostile and odd paths: a lock path or ShmLock name that is a symlink (planted by another
 * user), a directory, a FIFO, a socket, a device; a directory without write permission; a
 * read-only lock file; a missing directory; names too long; ShmLock names with `/`, `..`, NUL.
 * Each gets a clear typed error, never follows the link, never blocks on the FIFO, and never
 * creates anything outside the intended directory (the whole tree is compared before/after).
 *
 * The cases run in a child process (a hang is a failure, not a stuck run); the permission
 * cases run as uid/gid 65534 (tests run as root, which ignores permissions).
 */
import * as crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { HostileCase, HostileOutcome } from '../fixtures/rel-hostile';
import { killAll, spawnNode } from '../helpers/children';
import { fixture, tmpDir } from '../helpers/paths';

const NOBODY = 65534;
let base: string;
let server: net.Server | undefined;

/** Every entry under `root` (not following links) with its type, mode and content hash. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    const rel = path.relative(root, p) || '.';
    if (st.isSymbolicLink()) out[rel] = `link -> ${fs.readlinkSync(p)}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${(st.mode & 0o7777).toString(8)}`;
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    } else if (st.isFile()) out[rel] = `file ${(st.mode & 0o7777).toString(8)} ${crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex')}`;
    else out[rel] = st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'other';
  };
  walk(root);
  return out;
}

async function run(cases: HostileCase[], asNobody: boolean): Promise<Map<string, HostileOutcome>> {
  const attempt = async (mode: 'uid' | 'drop' | 'root'): Promise<{ lines: string[]; stderr: string }> => {
    const args = [JSON.stringify(cases)];
    if (mode === 'drop') args.push('--drop', String(NOBODY), path.join(base, 'warm.lock'));
    const child = spawnNode(fixture('rel-hostile'), args, mode === 'uid' ? { uid: NOBODY, gid: NOBODY } : {});
    const lines: string[] = [];
    try {
      for (;;) {
        const line = await child.takeLine(() => true, 10_000, 'the next case');
        if (line === 'done') break;
        lines.push(line);
      }
    } catch (err) {
      if (mode === 'uid' && /EACCES|permission denied|Cannot find module/i.test(child.stderr)) return { lines: [], stderr: child.stderr };
      throw err;
    }
    await child.waitExit();
    return { lines, stderr: child.stderr };
  };
  let got = await attempt(asNobody ? 'uid' : 'root');
  // The checkout may not be readable by uid 65534: then load as root and drop privileges.
  if (asNobody && got.lines.length === 0) got = await attempt('drop');
  return new Map(got.lines.map((l) => JSON.parse(l) as HostileOutcome).map((o) => [o.id, o]));
}

beforeAll(async () => {
  base = tmpDir('locksfile-hostile-');
  fs.chmodSync(base, 0o755);
  const p = (...parts: string[]): string => path.join(base, ...parts);
  fs.mkdirSync(p('d'));
  fs.writeFileSync(p('secret'), 'secret');
  fs.symlinkSync(p('secret'), p('d', 'link-to-file'));
  fs.symlinkSync(p('created-through-link'), p('d', 'dangling'));
  fs.symlinkSync(p('d'), p('d', 'link-to-dir'));
  fs.mkdirSync(p('d', 'a-dir'));
  execFileSync('mkfifo', [p('d', 'fifo')]);
  fs.writeFileSync(p('d', 'plain'), '');
  server = net.createServer();
  await new Promise<void>((resolve) => server?.listen(p('d', 'sock'), resolve));
  // For the unprivileged user: a read-only directory, a read-only lock file, a sticky
  // world-writable directory (like /tmp) with symlinks planted by another user (root).
  fs.mkdirSync(p('ro-dir'), { mode: 0o755 });
  fs.writeFileSync(p('ro-dir', 'ro.lock'), '', { mode: 0o644 });
  fs.mkdirSync(p('sticky'));
  fs.chmodSync(p('sticky'), 0o1777);
  fs.symlinkSync(p('secret'), p('sticky', 'victim.lock'));
  fs.symlinkSync(p('planted-target'), p('sticky', 'victim2.lock'));
  fs.symlinkSync(p('secret'), p('sticky', 'victim-shm'));
  fs.writeFileSync(p('warm.lock'), '', { mode: 0o666 });
  fs.chmodSync(p('warm.lock'), 0o666);
});

afterAll(async () => {
  await killAll();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  fs.rmSync(base, { recursive: true, force: true });
});

const d = (...parts: string[]): string => path.join(base, 'd', ...parts);
const lockPathError = (errno: string | null): Record<string, unknown> => ({ class: 'LockPathError', typed: true, code: 'ERR_LOCK_PATH', errno });
const invalidArg = { class: 'InvalidArgumentError', typed: true, code: 'ERR_INVALID_ARG_VALUE' };

describe('as root', () => {
  let out: Map<string, HostileOutcome>;
  let before: Record<string, string>;
  let after: Record<string, string>;

  beforeAll(async () => {
    const cases: HostileCase[] = [
      { id: 'link-to-file', kind: 'open', path: d('link-to-file') },
      { id: 'dangling', kind: 'open', path: d('dangling') },
      { id: 'link-to-dir', kind: 'open', path: d('link-to-dir') },
      { id: 'dir', kind: 'open', path: d('a-dir') },
      { id: 'fifo', kind: 'open', path: d('fifo') },
      { id: 'socket', kind: 'open', path: d('sock') },
      { id: 'dev-null', kind: 'open', path: '/dev/null' },
      { id: 'missing-dir', kind: 'open', path: d('missing', 'x.lock') },
      { id: 'through-file', kind: 'open', path: d('plain', 'x.lock') },
      { id: 'long-component', kind: 'open', path: d('x'.repeat(256)) },
      { id: 'long-path', kind: 'open', path: d(...Array.from({ length: 30 }, () => 'y'.repeat(200))) },
      { id: 'nul', kind: 'open', path: d('a\0b') },
      { id: 'shm-slash', kind: 'shm-construct', path: 'a/b', dir: d() },
      { id: 'shm-dotdot', kind: 'shm-construct', path: '..', dir: d() },
      { id: 'shm-dot', kind: 'shm-construct', path: '.', dir: d() },
      { id: 'shm-updir', kind: 'shm-construct', path: '../escape', dir: d() },
      { id: 'shm-nul', kind: 'shm-construct', path: 'a\0b', dir: d() },
      { id: 'shm-300', kind: 'shm-construct', path: 'n'.repeat(300), dir: d() },
      { id: 'shm-256', kind: 'shm-construct', path: 'n'.repeat(256), dir: d() },
      { id: 'shm-empty', kind: 'shm-construct', path: '', dir: d() },
      { id: 'shm-255-ok', kind: 'shm-acquire', path: 'n'.repeat(255), dir: d() },
      { id: 'shm-link-to-file', kind: 'shm-acquire', path: 'link-to-file', dir: d() },
      { id: 'shm-dangling', kind: 'shm-acquire', path: 'dangling', dir: d() },
      { id: 'shm-dir', kind: 'shm-acquire', path: 'a-dir', dir: d() },
      { id: 'shm-fifo', kind: 'shm-acquire', path: 'fifo', dir: d() },
      { id: 'shm-socket', kind: 'shm-acquire', path: 'sock', dir: d() },
      { id: 'shm-missing-dir', kind: 'shm-acquire', path: 'x', dir: d('missing') },
      { id: 'shm-dir-is-file', kind: 'shm-acquire', path: 'x', dir: d('plain') },
      { id: 'shm-dir-is-dev-null', kind: 'shm-acquire', path: 'x', dir: '/dev/null' },
      { id: 'shm-dev-null', kind: 'shm-acquire', path: 'null', dir: '/dev' },
    ];
    before = snapshot(base);
    out = await run(cases, false);
    after = snapshot(base);
  }, 60_000);

  test('nothing was created, removed or changed anywhere in the tree (links not followed)', () => {
    expect(after).toEqual(before);
    expect(fs.existsSync(path.join(base, 'created-through-link'))).toBe(false);
  });

  test.each([
    ['link-to-file', 'ELOOP'],
    ['dangling', 'ELOOP'],
    ['link-to-dir', 'ELOOP'],
    ['dir', 'EISDIR'],
    ['missing-dir', 'ENOENT'],
    ['through-file', 'ENOTDIR'],
    ['long-component', 'ENAMETOOLONG'],
    ['long-path', 'ENAMETOOLONG'],
  ])('LocksFile at %s: LockPathError %s', (id, errno) => {
    expect(out.get(id)).toMatchObject({ opened: false, error: lockPathError(errno) });
  });

  test.each(['fifo', 'socket', 'dev-null'])('LocksFile at a %s: LockPathError at once (no blocking)', (id) => {
    const o = out.get(id);
    expect(o).toMatchObject({ opened: false, error: { class: 'LockPathError', typed: true, code: 'ERR_LOCK_PATH' } });
    expect(o?.error?.message).toMatch(/regular file|socket|device/);
    expect(o?.ms).toBeLessThan(2000);
  });

  test('LocksFile with a NUL in the path: InvalidArgumentError', () => {
    expect(out.get('nul')).toMatchObject({ opened: false, error: invalidArg });
  });

  test.each(['shm-slash', 'shm-dotdot', 'shm-dot', 'shm-updir', 'shm-nul', 'shm-300', 'shm-256', 'shm-empty'])(
    'ShmLock name %s: InvalidArgumentError from the constructor',
    (id) => {
      expect(out.get(id)).toMatchObject({ opened: false, error: { ...invalidArg, message: expect.stringMatching(/^name: /) } });
    },
  );

  test('ShmLock name of 255 bytes works (and leaves nothing behind)', () => {
    expect(out.get('shm-255-ok')).toMatchObject({ opened: true, details: { acquiredSync: true, acquiredAsync: true } });
  });

  test.each([
    ['shm-link-to-file', 'ELOOP'],
    ['shm-dangling', 'ELOOP'],
    ['shm-dir', 'EISDIR'],
    ['shm-missing-dir', 'ENOENT'],
    ['shm-dir-is-file', 'ENOTDIR'],
    ['shm-dir-is-dev-null', 'ENOTDIR'],
  ])('ShmLock acquire where the name is %s: LockPathError %s', (id, errno) => {
    expect(out.get(id)).toMatchObject({ opened: false, error: lockPathError(errno) });
  });

  test.each(['shm-fifo', 'shm-socket', 'shm-dev-null'])('ShmLock acquire where the name is a %s: LockPathError at once', (id) => {
    const o = out.get(id);
    expect(o).toMatchObject({ opened: false, error: { class: 'LockPathError', typed: true, code: 'ERR_LOCK_PATH' } });
    expect(o?.ms).toBeLessThan(2000);
  });
});

describe('as an unprivileged user (uid 65534)', () => {
  let out: Map<string, HostileOutcome>;
  let before: Record<string, string>;
  let after: Record<string, string>;
  const p = (...parts: string[]): string => path.join(base, ...parts);

  beforeAll(async () => {
    const cases: HostileCase[] = [
      { id: 'no-write-dir', kind: 'open', path: p('ro-dir', 'new.lock') },
      { id: 'read-only-file', kind: 'readonly', path: p('ro-dir', 'ro.lock') },
      { id: 'planted-link', kind: 'open', path: p('sticky', 'victim.lock') },
      { id: 'planted-dangling', kind: 'open', path: p('sticky', 'victim2.lock') },
      { id: 'shm-no-write-dir', kind: 'shm-acquire', path: 'x', dir: p('ro-dir') },
      { id: 'shm-planted-link', kind: 'shm-acquire', path: 'victim-shm', dir: p('sticky') },
      { id: 'shm-foreign-file', kind: 'shm-acquire', path: 'ro.lock', dir: p('ro-dir') },
    ];
    before = snapshot(base);
    out = await run(cases, true);
    after = snapshot(base);
  }, 60_000);

  test('nothing was created, removed or changed anywhere in the tree', () => {
    expect(after).toEqual(before);
    expect(fs.existsSync(p('planted-target'))).toBe(false);
  });

  test('a lock file in a directory without write permission: LockPathError EACCES that says so', () => {
    const o = out.get('no-write-dir');
    expect(o).toMatchObject({ opened: false, error: lockPathError('EACCES') });
    expect(o?.error?.message).toMatch(/permission/i);
  });

  test('a read-only lock file: read locks work, write locks give a clear LockPathError (sync and async)', () => {
    const o = out.get('read-only-file');
    expect(o).toMatchObject({ opened: true, details: { read: true, held: [{ start: 0, count: 1, write: false }] } });
    const clear = { class: 'LockPathError', typed: true, code: 'ERR_LOCK_PATH', message: expect.stringMatching(/read-only|write permission/) };
    expect(o?.details.writeSyncError).toMatchObject(clear);
    expect(o?.details.writeAsyncError).toMatchObject(clear);
    expect(o?.details.heldAfter).toEqual([{ start: 0, count: 1, write: false }]);
  });

  test.each(['planted-link', 'planted-dangling'])('a symlink planted by another user (%s) is refused, not followed: LockPathError ELOOP', (id) => {
    expect(out.get(id)).toMatchObject({ opened: false, error: lockPathError('ELOOP') });
  });

  test('ShmLock in a directory without write permission: LockPathError EACCES', () => {
    expect(out.get('shm-no-write-dir')).toMatchObject({ opened: false, error: lockPathError('EACCES') });
  });

  test('ShmLock name that is a symlink planted by another user: LockPathError ELOOP', () => {
    expect(out.get('shm-planted-link')).toMatchObject({ opened: false, error: lockPathError('ELOOP') });
  });

  test("ShmLock name held by another user's unreadable file: not acquired (like shmlock), no error, no change", () => {
    expect(out.get('shm-foreign-file')).toMatchObject({ opened: true, details: { acquiredSync: false, acquiredAsync: false } });
  });
});
