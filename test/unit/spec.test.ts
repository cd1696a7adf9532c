/**
 * Validation at the public boundary: every bad argument of every public LocksFile call is
 * refused with an InvalidArgumentError carrying the right code and argument name, before
 * anything changes: held() is the same, the kernel shows the same locks to another owner,
 * no descriptor is opened on the test directory (/proc/self/fd) and the constructor creates no file. Async calls
 * reject instead of throwing. Boundary values that are valid are accepted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AcquireOptions, InvalidArgumentError, type LockSpec, LocksFile, type LocksFileOptions } from 'locksfile';
import { fdsUnder } from '../helpers/fds';
import { tmpDir } from '../helpers/paths';
import { thrown } from '../helpers/thrown';

type Code = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1

/** Bad specs (typed as the public type to call through it), the code and argument they must produce. */
const BAD_SPECS: ReadonlyArray<[label: string, spec: unknown, code: Code, argument: string]> = [
  ['negative index', -1, 'ERR_OUT_OF_RANGE', 'spec.start'],
  ['fractional index', 1.5, 'ERR_OUT_OF_RANGE', 'spec.start'],
  ['NaN', Number.NaN, 'ERR_OUT_OF_RANGE', 'spec.start'],
  ['Infinity', Number.POSITIVE_INFINITY, 'ERR_OUT_OF_RANGE', 'spec.start'],
  ['2^53', 2 ** 53, 'ERR_OUT_OF_RANGE', 'spec.start'],
  ['numeric string', '1', 'ERR_INVALID_ARG_TYPE', 'spec'],
  ['null', null, 'ERR_INVALID_ARG_TYPE', 'spec'],
  ['boolean', true, 'ERR_INVALID_ARG_TYPE', 'spec'],
  ['bigint', 1n, 'ERR_INVALID_ARG_TYPE', 'spec'],
  ['symbol', Symbol('x'), 'ERR_INVALID_ARG_TYPE', 'spec'],
  ['function', () => 0, 'ERR_INVALID_ARG_TYPE', 'spec'],
  ['empty array', [], 'ERR_INVALID_ARG_VALUE', 'spec'],
  ['array of one', [1], 'ERR_INVALID_ARG_VALUE', 'spec'],
  ['array of three', [1, 2, 3], 'ERR_INVALID_ARG_VALUE', 'spec'],
  ['[start, 0]', [1, 0], 'ERR_OUT_OF_RANGE', 'spec.count'],
  ['[start, -1]', [1, -1], 'ERR_OUT_OF_RANGE', 'spec.count'],
  ['[start, 1.5]', [1, 1.5], 'ERR_OUT_OF_RANGE', 'spec.count'],
  ['[start, NaN]', [1, Number.NaN], 'ERR_OUT_OF_RANGE', 'spec.count'],
  ['[string, count]', ['1', 1], 'ERR_INVALID_ARG_TYPE', 'spec.start'],
  ['[start, string]', [1, '1'], 'ERR_INVALID_ARG_TYPE', 'spec.count'],
  ['[-1, 1]', [-1, 1], 'ERR_OUT_OF_RANGE', 'spec.start'],
  ['{ start } without count', { start: 1 }, 'ERR_INVALID_ARG_TYPE', 'spec.count'],
  ['{ count } without start', { count: 1 }, 'ERR_INVALID_ARG_TYPE', 'spec.start'],
  ['empty object', {}, 'ERR_INVALID_ARG_TYPE', 'spec.start'],
  ['{ start, count: 0 }', { start: 0, count: 0 }, 'ERR_OUT_OF_RANGE', 'spec.count'],
  ['{ start: null, count }', { start: null, count: 1 }, 'ERR_INVALID_ARG_TYPE', 'spec.start'],
  ['range ending past 2^53-1', [MAX - 1, 2], 'ERR_OUT_OF_RANGE', 'spec'],
  ['{ start: 2^53-1, count: 1 }', { start: MAX, count: 1 }, 'ERR_OUT_OF_RANGE', 'spec'],
  ['count 2^53', [0, 2 ** 53], 'ERR_OUT_OF_RANGE', 'spec.count'],
];

/** Bad options of the acquire family (sync and async alike). */
const BAD_OPTIONS: ReadonlyArray<[label: string, options: unknown, code: Code, argument: string]> = [
  ['a string', 'write', 'ERR_INVALID_ARG_TYPE', 'options'],
  ['null', null, 'ERR_INVALID_ARG_TYPE', 'options'],
  ['an array', [], 'ERR_INVALID_ARG_TYPE', 'options'],
  ['a boolean', true, 'ERR_INVALID_ARG_TYPE', 'options'],
  ['write: 1', { write: 1 }, 'ERR_INVALID_ARG_TYPE', 'options.write'],
  ["write: 'true'", { write: 'true' }, 'ERR_INVALID_ARG_TYPE', 'options.write'],
  ['write: null', { write: null }, 'ERR_INVALID_ARG_TYPE', 'options.write'],
  ['blocking: 0', { blocking: 0 }, 'ERR_INVALID_ARG_TYPE', 'options.blocking'],
  ['timeout: -1', { timeout: -1 }, 'ERR_OUT_OF_RANGE', 'options.timeout'],
  ['timeout: NaN', { timeout: Number.NaN }, 'ERR_OUT_OF_RANGE', 'options.timeout'],
  ['timeout: Infinity', { timeout: Number.POSITIVE_INFINITY }, 'ERR_OUT_OF_RANGE', 'options.timeout'],
  ['timeout: 2^31', { timeout: 2 ** 31 }, 'ERR_OUT_OF_RANGE', 'options.timeout'],
  ["timeout: '10'", { timeout: '10' }, 'ERR_INVALID_ARG_TYPE', 'options.timeout'],
  ['timeout: null', { timeout: null }, 'ERR_INVALID_ARG_TYPE', 'options.timeout'],
  ['timeout: 10n', { timeout: 10n }, 'ERR_INVALID_ARG_TYPE', 'options.timeout'],
];

/** Options only the async calls refuse. */
const BAD_ASYNC_OPTIONS: ReadonlyArray<[label: string, options: unknown, code: Code, argument: string]> = [
  ['signal: {}', { signal: {} }, 'ERR_INVALID_ARG_TYPE', 'options.signal'],
  ["signal: 'abort'", { signal: 'abort' }, 'ERR_INVALID_ARG_TYPE', 'options.signal'],
  ['signal: null', { signal: null }, 'ERR_INVALID_ARG_TYPE', 'options.signal'],
];

/** Options only the sync calls refuse: they take no signal at all. */
const BAD_SYNC_OPTIONS: ReadonlyArray<[label: string, options: unknown, code: Code, argument: string]> = [
  ['an AbortSignal', { signal: new AbortController().signal }, 'ERR_INVALID_ARG_VALUE', 'options.signal'],
  ['signal: null', { signal: null }, 'ERR_INVALID_ARG_VALUE', 'options.signal'],
];

type SyncCall = (lf: LocksFile, spec: unknown, options: unknown) => unknown;
type AsyncCall = (lf: LocksFile, spec: unknown, options: unknown) => Promise<unknown>;

const SYNC_CALLS: ReadonlyArray<[name: string, call: SyncCall]> = [
  ['acquireSync', (lf, s, o) => lf.acquireSync(s as LockSpec, o as AcquireOptions)],
  ['lockSync', (lf, s, o) => lf.lockSync(s as LockSpec, o as AcquireOptions)],
];

const ASYNC_CALLS: ReadonlyArray<[name: string, call: AsyncCall]> = [
  ['acquire', (lf, s, o) => lf.acquire(s as LockSpec, o as AcquireOptions)],
  ['lock', (lf, s, o) => lf.lock(s as LockSpec, o as AcquireOptions)],
  ['withLock', (lf, s, o) => lf.withLock(s as LockSpec, o as AcquireOptions, () => 'ran')],
];

/** Descriptors open on anything in the test directory (the lock file or a would-be one). */
function fdCount(): number {
  return fdsUnder(dir).length;
}

function expectInvalid(err: unknown, code: Code, argument: string): void {
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err).toMatchObject({ name: 'InvalidArgumentError', code, argument });
  expect((err as Error).message.startsWith(`${argument}: `)).toBe(true);
}

let dir: string;
let lockPath: string;
let lf: LocksFile;
let other: LocksFile;

/** What must not change: our held(), what another owner sees, and the descriptor count. */
function snapshot(): { held: unknown; seen: unknown[]; fds: number } {
  const seen = [0, 1, 2, 3, 4, 5, 10, 11, 12, MAX - 1].map((i) => other.probe(i, { write: true }));
  return { held: lf.held(), seen, fds: fdCount() };
}

beforeAll(() => {
  dir = tmpDir();
  lockPath = path.join(dir, 'spec.lock');
  lf = new LocksFile(lockPath);
  other = new LocksFile(lockPath);
  expect(lf.acquireSync([0, 4], { write: true })).toBe(true);
  expect(lf.acquireSync([10, 2])).toBe(true);
  expect(fdCount()).toBe(2); // the check below sees our descriptors: it is not vacuous
});

afterAll(() => {
  lf.close();
  other.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(SYNC_CALLS)('%s', (_name, call) => {
  test.each(BAD_SPECS)('spec %s', (_label, spec, code, argument) => {
    const before = snapshot();
    expectInvalid(
      thrown(() => call(lf, spec, { write: true })),
      code,
      argument,
    );
    expect(snapshot()).toEqual(before);
  });

  test.each([...BAD_OPTIONS, ...BAD_SYNC_OPTIONS])('options %s', (_label, options, code, argument) => {
    const before = snapshot();
    expectInvalid(
      thrown(() => call(lf, 20, options)),
      code,
      argument,
    );
    expect(snapshot()).toEqual(before);
  });
});

describe.each(ASYNC_CALLS)('%s', (_name, call) => {
  async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = fn();
    }).not.toThrow();
    expect(promise).toBeInstanceOf(Promise);
    return (promise as Promise<unknown>).then(
      () => {
        throw new Error('expected a rejection');
      },
      (err: unknown) => err,
    );
  }

  test.each(BAD_SPECS)('spec %s: rejects', async (_label, spec, code, argument) => {
    const before = snapshot();
    expectInvalid(await rejection(() => call(lf, spec, { write: true })), code, argument);
    expect(snapshot()).toEqual(before);
  });

  test.each([...BAD_OPTIONS, ...BAD_ASYNC_OPTIONS])('options %s: rejects', async (_label, options, code, argument) => {
    const before = snapshot();
    expectInvalid(await rejection(() => call(lf, 20, options)), code, argument);
    expect(snapshot()).toEqual(before);
  });
});

describe('withLock fn', () => {
  test.each([
    ['a number', 5],
    ['undefined', undefined],
    ['a promise', Promise.resolve()],
  ])('%s: rejects with ERR_INVALID_ARG_TYPE and takes no lock', async (_label, fn) => {
    const before = snapshot();
    const err = await lf.withLock(20, { write: true }, fn as unknown as () => void).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectInvalid(err, 'ERR_INVALID_ARG_TYPE', 'fn');
    expect(snapshot()).toEqual(before);
  });
});

describe('release', () => {
  test.each(BAD_SPECS)('spec %s', (_label, spec, code, argument) => {
    const before = snapshot();
    expectInvalid(
      thrown(() => lf.release(spec as LockSpec)),
      code,
      argument,
    );
    expect(snapshot()).toEqual(before);
  });
});

describe('probe', () => {
  test.each(BAD_SPECS)('spec %s', (_label, spec, code, argument) => {
    const before = snapshot();
    expectInvalid(
      thrown(() => lf.probe(spec as LockSpec)),
      code,
      argument,
    );
    expect(snapshot()).toEqual(before);
  });

  test.each([
    ['a string', 'write', 'ERR_INVALID_ARG_TYPE', 'options'],
    ['null', null, 'ERR_INVALID_ARG_TYPE', 'options'],
    ['write: 1', { write: 1 }, 'ERR_INVALID_ARG_TYPE', 'options.write'],
  ] as const)('options %s', (_label, options, code, argument) => {
    const before = snapshot();
    expectInvalid(
      thrown(() => lf.probe(0, options as unknown as { write?: boolean })),
      code,
      argument,
    );
    expect(snapshot()).toEqual(before);
  });
});

describe('constructor', () => {
  test.each([
    ['path: a number', 5, undefined, 'ERR_INVALID_ARG_TYPE', 'path'],
    ['path: null', null, undefined, 'ERR_INVALID_ARG_TYPE', 'path'],
    ['path: a Buffer', Buffer.from('x.lock'), undefined, 'ERR_INVALID_ARG_TYPE', 'path'],
    ['path: empty', '', undefined, 'ERR_INVALID_ARG_VALUE', 'path'],
    ['path: with a NUL byte', 'a\0b.lock', undefined, 'ERR_INVALID_ARG_VALUE', 'path'],
    ['options: a string', 'new.lock', 'ofd', 'ERR_INVALID_ARG_TYPE', 'options'],
    ['options: null', 'new.lock', null, 'ERR_INVALID_ARG_TYPE', 'options'],
    ['options.id: a number', 'new.lock', { id: 5 }, 'ERR_INVALID_ARG_TYPE', 'options.id'],
    ["options.verbose: 'yes'", 'new.lock', { verbose: 'yes' }, 'ERR_INVALID_ARG_TYPE', 'options.verbose'],
    ["options.backend: 'flock'", 'new.lock', { backend: 'flock' }, 'ERR_INVALID_ARG_VALUE', 'options.backend'],
    ['options.backend: null', 'new.lock', { backend: null }, 'ERR_INVALID_ARG_VALUE', 'options.backend'],
    ['options.logger: {}', 'new.lock', { logger: {} }, 'ERR_INVALID_ARG_TYPE', 'options.logger'],
    ['options.logger: a function', 'new.lock', { logger: () => undefined }, 'ERR_INVALID_ARG_TYPE', 'options.logger'],
    ['options.logger: without error()', 'new.lock', { logger: { debug() {}, info() {}, warn() {} } }, 'ERR_INVALID_ARG_TYPE', 'options.logger'],
  ] as const)('%s: throws, opens nothing, creates no file', (_label, file, options, code, argument) => {
    const fullPath = typeof file === 'string' && file.length > 0 && !file.includes('\0') ? path.join(dir, file) : file;
    const entries = fs.readdirSync(dir).sort();
    const fds = fdCount();
    expectInvalid(
      thrown(() => new LocksFile(fullPath as unknown as string, options as unknown as LocksFileOptions)),
      code,
      argument,
    );
    expect(fdCount()).toBe(fds);
    expect(fs.readdirSync(dir).sort()).toEqual(entries);
  });
});

describe('valid boundary values are accepted', () => {
  test('the highest index, 2^53-2, as a number, a pair and an object', () => {
    const b = new LocksFile(lockPath);
    try {
      expect(b.acquireSync(MAX - 1, { write: true })).toBe(true);
      expect(b.held()).toEqual([{ start: MAX - 1, count: 1, write: true }]);
      expect(other.probe([MAX - 1, 1], { write: true })).toEqual({ start: MAX - 1, count: 1, write: true, pid: -1 });
      b.release([MAX - 1, 1]);
      expect(b.acquireSync({ start: MAX - 2, count: 2 })).toBe(true);
      expect(b.held()).toEqual([{ start: MAX - 2, count: 2, write: false }]);
      expect(other.probe([MAX - 2, 2], { write: true })).toEqual({ start: MAX - 2, count: 2, write: false, pid: -1 });
      // A range crossing 2^32 is one kernel lock: the 64-bit offsets are exact.
      expect(b.acquireSync([2 ** 32 - 2, 4], { write: true })).toBe(true);
      expect(other.probe(2 ** 32 + 1)).toEqual({ start: 2 ** 32 - 2, count: 4, write: true, pid: -1 });
      expect(other.probe(2 ** 32 + 2)).toBeNull();
      expect(other.probe(2 ** 32 - 3)).toBeNull();
    } finally {
      b.close();
    }
  });

  test('timeouts 0, fractional and 2^31-1; empty options; explicit undefined values; -0', async () => {
    expect(lf.acquireSync(30, { timeout: 0 })).toBe(true);
    expect(lf.acquireSync(31, { timeout: 2 ** 31 - 1 })).toBe(true);
    expect(lf.acquireSync(32, { timeout: 0.5 })).toBe(true);
    expect(await lf.acquire(33, {})).toBe(true);
    expect(await lf.acquire(34, { write: undefined, blocking: undefined, timeout: undefined, signal: undefined })).toBe(true);
    expect(lf.acquireSync(-0, { write: true })).toBe(true);
    expect(lf.held()).toEqual([
      { start: 0, count: 4, write: true },
      { start: 10, count: 2, write: false },
      { start: 30, count: 5, write: false },
    ]);
    lf.release([30, 5]);
  });
});

/** Found by `npm run mutate`: what the messages say about the refused value, the backend choice, the blocking default. */
describe('what validation reports and defaults to', () => {
  test('the message names what came: a symbol, a function, a string (cut after 40 characters)', () => {
    const message = (spec: unknown): string => (thrown(() => lf.acquireSync(spec as LockSpec)) as Error).message;
    expect(message(Symbol('x'))).toMatch(/received a symbol$/);
    expect(message(() => 0)).toMatch(/received a function$/);
    expect(message('y'.repeat(40))).toMatch(new RegExp(`received the string "${'y'.repeat(40)}"$`));
    expect(message('z'.repeat(41))).toMatch(new RegExp(`received the string "${'z'.repeat(40)}\\.\\.\\."$`));
  });

  test('options.backend takes exactly the listed backends and names them when refusing another', () => {
    const posix = new LocksFile(lockPath, { backend: 'posix' });
    expect(posix.backend).toBe('posix');
    posix.close();
    const err = thrown(() => new LocksFile(lockPath, { backend: 'flock' as never }));
    expectInvalid(err, 'ERR_INVALID_ARG_VALUE', 'options.backend');
    expect((err as Error).message).toMatch(/expected one of 'ofd', 'posix', received the string "flock"$/);
  });

  test('an acquire without `blocking` waits (until its timeout) for a range another owner holds', async () => {
    // `other` holds nothing; lf holds [0, 4) in write mode: other's acquire must wait, not try once.
    let t0 = performance.now();
    expect(other.acquireSync(0, { timeout: 100 })).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    t0 = performance.now();
    expect(await other.acquire(0, { timeout: 100 })).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });
});
