/**
 * `withLock` with the callback last in every shape LocksFile accepts (`withLock(fn)`,
 * `withLock(spec, fn)`, `withLock(spec, options, fn)`), the shape shared with ShmLock's
 * `withLock(fn)` / `withLock(options, fn)`. What is held inside `fn` is checked through
 * another instance's probe(); a callback that is not last is refused with a typed error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type LocksFile, ShmLock } from 'locksfile';
import { tmpDir } from '../helpers/paths';
import { useLocksFiles } from '../helpers/instances';

let dir: string;
let lockPath: string;
const open = useLocksFiles(() => lockPath);

beforeEach(() => {
  dir = tmpDir();
  lockPath = path.join(dir, 'shapes.lock');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What `other` sees of index `at`: whether a write and a read request would be blocked. */
function seen(other: LocksFile, at: number): { writeBlocked: boolean; readBlocked: boolean } {
  return { writeBlocked: other.probe(at, { write: true }) !== null, readBlocked: other.probe(at) !== null };
}

test('withLock(fn) holds index 0 for reading while fn runs, like lock() with no spec', async () => {
  const a = open();
  const b = open();
  const inside = await a.withLock(() => ({ at0: seen(b, 0), at1: seen(b, 1) }));
  expect(inside).toEqual({ at0: { writeBlocked: true, readBlocked: false }, at1: { writeBlocked: false, readBlocked: false } });
  expect(a.held()).toEqual([]);
  expect(seen(b, 0)).toEqual({ writeBlocked: false, readBlocked: false });
});

test('withLock(spec, fn) holds spec with the default options and returns what fn returns', async () => {
  const a = open();
  const b = open();
  const result = await a.withLock([3, 2], () => Promise.resolve([seen(b, 3), seen(b, 4), seen(b, 5)]));
  expect(result).toEqual([
    { writeBlocked: true, readBlocked: false },
    { writeBlocked: true, readBlocked: false },
    { writeBlocked: false, readBlocked: false },
  ]);
  expect(a.held()).toEqual([]);
});

test('withLock(spec, options, fn) applies the options', async () => {
  const a = open();
  const b = open();
  const inside = await a.withLock(7, { write: true, timeout: 1000 }, () => seen(b, 7));
  expect(inside).toEqual({ writeBlocked: true, readBlocked: true });
  expect(a.held()).toEqual([]);
});

test.each([
  ['withLock(fn, spec)', (lf: LocksFile) => (lf.withLock as (...args: unknown[]) => Promise<unknown>)(() => 1, 5)],
  ['withLock(spec, fn, options)', (lf: LocksFile) => (lf.withLock as (...args: unknown[]) => Promise<unknown>)(5, () => 1, { write: true })],
  ['withLock()', (lf: LocksFile) => (lf.withLock as (...args: unknown[]) => Promise<unknown>)()],
])('LocksFile %s: rejects with ERR_INVALID_ARG_TYPE for fn and takes nothing', async (_label, call) => {
  const a = open();
  let ran = false;
  const err = await call(a).then(
    () => (ran = true),
    (e: unknown) => e,
  );
  expect(ran).toBe(false);
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', argument: 'fn' });
  expect(a.held()).toEqual([]);
});

test('ShmLock withLock(fn, options), the callback not last, rejects and never holds the lock', async () => {
  using shm = new ShmLock(`shapes-${process.pid}`, { dir });
  const err = await (shm.withLock as (...args: unknown[]) => Promise<unknown>)(() => 1, { timeout: 5 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', argument: 'fn' });
  expect(shm.acquired).toBe(false);
  expect(fs.existsSync(shm.path)).toBe(false);
});
