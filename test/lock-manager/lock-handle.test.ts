/**
 * LockManager in the vocabulary shared with LocksFile and ShmLock: `lock(name, options)`
 * resolves a handle, rejects typed (busy, timeout, abort, bad options, closed) and leaves
 * nothing queued; `withLock(name, options?, fn)` with the callback last. Two managers on one
 * registry in this process; what is held is checked through the other manager's query() and
 * ifAvailable requests. Exclusion across processes: counter.test.ts ('handle' children).
 */
import * as path from 'node:path';
import { InvalidArgumentError, LockAbortError, LockBusyError, LockClosedError, LockManager, LockTimeoutError } from 'locksfile';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-lmh-');
/** Hang guard for a hand-over that takes milliseconds. */
const BOUND_MS = 5000;

/** A manager of this test's registry; `using` closes it after the test. */
const open = (clientId: string): LockManager => new LockManager({ path: path.join(scratch(), 'ns.locks'), clientId });

/** Whether `m` could take `name` in `mode` right now (ifAvailable, released at once). */
function available(m: LockManager, name: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<boolean> {
  return m.request(name, { mode, ifAvailable: true }, (lock) => lock !== null);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('resolved, expected a rejection'),
    (e: unknown) => e,
  );
}

test('lock() resolves a handle that holds the lock until release(); release() is idempotent and returns void', async () => {
  using a = open('a');
  using b = open('b');
  const handle = await a.lock('job');
  expect(handle).toMatchObject({ name: 'job', mode: 'exclusive' });
  expect(await available(b, 'job')).toBe(false);
  expect(await b.query()).toEqual({ held: [{ name: 'job', mode: 'exclusive', clientId: 'a' }], pending: [] });
  expect(handle.release()).toBeUndefined();
  expect(handle.release()).toBeUndefined();
  await handle[Symbol.asyncDispose]();
  expect(await available(b, 'job')).toBe(true);
  expect(await b.query()).toEqual({ held: [], pending: [] });
});

test('shared handles hold together and keep an exclusive request out', async () => {
  using a = open('a');
  using b = open('b');
  await using first = await a.lock('cfg', { mode: 'shared' });
  await using second = await b.lock('cfg', { mode: 'shared', timeout: BOUND_MS });
  expect([first.mode, second.mode]).toEqual(['shared', 'shared']);
  expect(await available(b, 'cfg', 'exclusive')).toBe(false);
});

test('a waiting lock() is granted when the holder releases', async () => {
  using a = open('a');
  using b = open('b');
  const held = await a.lock('x');
  const waiting = b.lock('x', { timeout: BOUND_MS });
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect((await a.query()).pending).toEqual([{ name: 'x', mode: 'exclusive', clientId: 'b' }]);
  held.release();
  await using got = await waiting;
  expect(got.name).toBe('x');
  expect(await available(a, 'x')).toBe(false);
});

test.each([
  ['blocking: false', { blocking: false }, LockBusyError],
  ['timeout: 0', { timeout: 0 }, LockTimeoutError],
])('%s on a held lock tries once, rejects typed and queues nothing', async (_label, options, ErrorClass) => {
  using a = open('a');
  using b = open('b');
  await using held = await a.lock('x');
  expect(held.name).toBe('x');
  const err = await rejection(b.lock('x', options));
  expect(err).toBeInstanceOf(ErrorClass);
  expect((await a.query()).pending).toEqual([]);
});

test('timeout rejects with LockTimeoutError and leaves the queue at once', async () => {
  using a = open('a');
  using b = open('b');
  await using held = await a.lock('x');
  expect(held.mode).toBe('exclusive');
  const started = performance.now();
  const err = await rejection(b.lock('x', { timeout: 50 }));
  expect(err).toBeInstanceOf(LockTimeoutError);
  expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  expect(performance.now() - started).toBeLessThan(BOUND_MS);
  expect((await a.query()).pending).toEqual([]);
});

test('signal rejects with LockAbortError (name AbortError, cause = reason), before and during the wait', async () => {
  using a = open('a');
  using b = open('b');
  const reason = new Error('stop');
  expect(await rejection(b.lock('x', { signal: AbortSignal.abort(reason) }))).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
  await using held = await a.lock('x');
  expect(held.name).toBe('x');
  const ctrl = new AbortController();
  const waiting = rejection(b.lock('x', { signal: ctrl.signal }));
  await new Promise((resolve) => setTimeout(resolve, 20));
  ctrl.abort(reason);
  const err = await waiting;
  expect(err).toBeInstanceOf(LockAbortError);
  expect(err).toMatchObject({ name: 'AbortError', cause: reason });
  expect((await a.query()).pending).toEqual([]);
});

test('bad options reject with InvalidArgumentError; a closed manager with LockClosedError', async () => {
  using a = open('a');
  expect(await rejection(a.lock('x', { mode: 'write' as 'shared' }))).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', argument: 'options.mode' });
  expect(await rejection(a.lock('x', { timeout: -1 }))).toMatchObject({ code: 'ERR_OUT_OF_RANGE', argument: 'options.timeout' });
  expect(await rejection(a.lock(5 as unknown as string))).toBeInstanceOf(InvalidArgumentError);
  a.close();
  expect(await rejection(a.lock('x'))).toBeInstanceOf(LockClosedError);
});

test('withLock(name, fn) and withLock(name, options, fn) hold the lock while fn runs and release after', async () => {
  using a = open('a');
  using b = open('b');
  expect(await a.withLock('w', () => available(b, 'w'))).toBe(false);
  expect(await a.withLock('w', { mode: 'shared' }, () => available(b, 'w', 'shared'))).toBe(true);
  await expect(a.withLock('w', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(await available(b, 'w')).toBe(true);
  const err = await rejection((a.withLock as (...args: unknown[]) => Promise<unknown>)('w', () => 1, {}));
  expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', argument: 'fn' });
  expect(await available(b, 'w')).toBe(true);
});
