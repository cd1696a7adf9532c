/**
 * Fuzzed API input (fast-check): random values of every type for every parameter of every
 * public function and constructor. Each call must either succeed or throw (reject with) a
 * `LockError`; after a failure, `held()`, the kernel's locks (as a second owner's probes see
 * them) and the process's fd count must be exactly as before. After a success, `held()`
 * must agree with the kernel.
 *
 * Paths are kept inside a sandbox directory (the process's cwd during the run): strings get
 * their `/` replaced, plus a fixed list of odd absolute paths that cannot create anything.
 *
 * Used by `test/reliability/fuzz.test.ts` (bounded) and by the soak.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import * as api from 'locksfile';
import { ExitEvent, LockError, LocksFile, type LockHandle, ShmLock, type ShmLockHandle } from 'locksfile';
import { fileState } from './rel-shm';

/** One generated call: which entry point, with which arguments (arity varies). */
export interface FuzzCall {
  readonly target: string;
  readonly args: readonly unknown[];
}

export interface FuzzResult {
  readonly target: string;
  /** Calls made (including fast-check's shrinking runs). */
  readonly tried: number;
  /** Calls that threw or rejected with a typed error (bad inputs refused). */
  readonly rejected: number;
  /** Calls that succeeded. */
  readonly accepted: number;
  /** fast-check's report when a property failed, else null. */
  readonly failure: string | null;
}

/** Extra entry points (e.g. ShmLock's), registered by other helpers. */
export interface FuzzTarget {
  readonly name: string;
  /** Arbitrary argument lists (any arity). */
  readonly args: fc.Arbitrary<unknown[]>;
  /** Performs the call; returns what it returned (awaited by the runner when a promise). */
  run(args: readonly unknown[], sandbox: string): unknown;
  /** Undoes a successful call (closes what it opened, releases what it took). */
  cleanup?(result: unknown): void | Promise<void>;
  /** Whether the call is async (must never throw synchronously). */
  readonly async?: boolean;
  /** Extra state that a failed call must leave unchanged. */
  state?(): string;
  /** Argument lists always tried first (a sweep of nasty values over every parameter and option). */
  readonly examples?: readonly unknown[][];
  /** Brings the subject back to its resting state (before every call, whatever came before). */
  reset?(): void;
  /** Puts the subject in the state the call needs, before the snapshot of the state. */
  prepare?(): void;
}

const MAX = Number.MAX_SAFE_INTEGER;

/** Values that trip naive validation: no prototype, not stringifiable, not a number... */
export function nastyValues(): unknown[] {
  return [
    Object.create(null),
    Symbol('nasty'),
    10n,
    NaN,
    -0,
    Infinity,
    -1,
    '',
    '\0',
    {},
    [],
    [1, 2, 3],
    () => 0,
    new Date(NaN),
    new (class Odd {})(),
    null,
    true,
    1.5,
    { valueOf: () => 1, toString: () => 'x' },
  ];
}

/**
 * Every argument position swept with every nasty value (others `fill`), plus every option key
 * of the options bag at `optionsAt` swept the same way.
 */
export function sweep(fill: readonly unknown[], optionsAt?: number, keys: readonly string[] = []): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 0; i < fill.length; i++) {
    for (const v of nastyValues()) out.push(fill.map((f, j) => (j === i ? v : f)));
  }
  if (optionsAt !== undefined) {
    for (const key of keys) {
      for (const v of nastyValues()) out.push(fill.map((f, j) => (j === optionsAt ? { [key]: v } : f)));
    }
  }
  return out;
}

/** Any JavaScript value, of every type. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
    maxDepth: 2,
  }),
  fc.constantFrom<unknown>(undefined, null, Symbol('s'), () => 1, class {}, Number, Object.create(null), [], {}),
  fc.constant(null).map(() => new AbortController().signal),
);

/** Numbers near every boundary, and non-numbers. */
export const anyNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -3, max: 300 }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom<unknown>(NaN, Infinity, -Infinity, -0, 0.5, 1e-300, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 2, 2 ** 53 - 1, 2 ** 53, 2 ** 63, MAX - 1),
  fc.bigInt(),
  fc.constantFrom<unknown>('1', '0x10', ' 2 ', true, [1], { valueOf: () => 3 }),
  anyValue,
);

export const anySpec: fc.Arbitrary<unknown> = fc.oneof(
  anyNumber,
  fc.tuple(anyNumber, anyNumber),
  fc.tuple(fc.nat(300), fc.integer({ min: 1, max: 40 })),
  fc.array(anyNumber, { maxLength: 4 }),
  fc.record({ start: anyNumber, count: anyNumber }, { requiredKeys: [] }),
  fc.record({ start: fc.nat(300), count: fc.integer({ min: 1, max: 40 }), extra: anyValue }),
  anyValue,
);

const aborted = (): AbortSignal => {
  const ac = new AbortController();
  ac.abort(new Error('fuzz'));
  return ac.signal;
};

export const anyBool: fc.Arbitrary<unknown> = fc.oneof(fc.boolean(), anyValue);

export const anyAcquireOptions: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      write: anyBool,
      blocking: anyBool,
      timeout: fc.oneof(anyNumber, fc.nat(20)),
      signal: fc
        .oneof(fc.constant('aborted'), fc.constant('fresh'), anyValue)
        .map((v) => (v === 'aborted' ? aborted() : v === 'fresh' ? new AbortController().signal : v)),
      unknownOption: anyValue,
    },
    { requiredKeys: [] },
  ),
  anyValue,
);

export const silentLogger = { debug: (): void => undefined, info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

export const anyLocksFileOptions: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      id: fc.oneof(fc.string(), anyValue),
      logger: fc.oneof(fc.constant(silentLogger), fc.constant({ debug: () => undefined }), anyValue),
      verbose: anyBool,
      backend: fc.oneof(fc.constantFrom<unknown>('ofd', 'posix', 'OFD', 'flock', ''), anyValue),
    },
    { requiredKeys: [] },
  ),
  anyValue,
);

/** Paths that stay inside the sandbox (relative names) or cannot create anything. */
export function anyPath(sandbox: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replaceAll('/', '_')),
    fc.constantFrom<unknown>(
      '',
      '.',
      '..',
      '\0',
      'a\0b',
      'x'.repeat(256),
      'x'.repeat(255),
      `${'d/'.repeat(2100)}x`,
      '/dev/null',
      '/',
      path.join(sandbox, 'dir'),
      path.join(sandbox, 'fifo'),
      path.join(sandbox, 'sock'),
      path.join(sandbox, 'link'),
      path.join(sandbox, 'dangling'),
      path.join(sandbox, 'missing', 'x.lock'),
      path.join(sandbox, 'file', 'x.lock'),
    ),
    anyValue,
  );
}

/** A second owner's view of every lock `subject` holds (merged by the kernel). */
function kernelLocks(observer: LocksFile): string {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < 1000 && at < MAX; i++) {
    const h = observer.probe([at, MAX - at], { write: true });
    if (h === null) break;
    out.push(`${h.start}+${h.count}${h.write ? 'w' : 'r'}`);
    if (!Number.isFinite(h.count)) break;
    at = h.start + h.count;
  }
  return out.join(' ');
}

function heldString(lf: LocksFile): string {
  return lf
    .held()
    .map((r) => `${r.start}+${r.count}${r.write ? 'w' : 'r'}`)
    .join(' ');
}

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name} ${err.name}: ${err.message}`;
  return `non-error ${typeof err} ${String(err)}`;
}

/** Builds a hostile sandbox: a dir, a FIFO, a socket, a symlink, a dangling link, a file. */
export async function prepareSandbox(sandbox: string): Promise<() => void> {
  fs.mkdirSync(path.join(sandbox, 'dir'), { recursive: true });
  execFileSync('mkfifo', [path.join(sandbox, 'fifo')]);
  fs.writeFileSync(path.join(sandbox, 'file'), 'x');
  fs.writeFileSync(path.join(sandbox, 'target'), 'target');
  fs.symlinkSync(path.join(sandbox, 'target'), path.join(sandbox, 'link'));
  fs.symlinkSync(path.join(sandbox, 'nowhere'), path.join(sandbox, 'dangling'));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(sandbox, 'sock'), resolve));
  return () => server.close();
}

/** A fuzzer over every entry point; one property per entry point, so one bug masks no other. */
export interface Fuzzer {
  /** Names of the entry points. */
  readonly targets: readonly string[];
  /** Runs `runs` random calls of `target` with seed `seed` (the sandbox is the cwd meanwhile). */
  run(target: string, runs: number, seed: number): Promise<FuzzResult>;
  close(): void;
}

/** Builds the fuzzer inside `sandbox` (see {@link prepareSandbox}); `extra` adds entry points. */
export function createFuzzer(options: { sandbox: string; extra?: readonly FuzzTarget[] }): Fuzzer {
  const { sandbox } = options;
  const lockPath = path.join(sandbox, 'subject.lock');
  let subject = new LocksFile(lockPath);
  const observer = new LocksFile(lockPath);
  const baseline = (): void => {
    if (subject.closed) subject = new LocksFile(lockPath);
    subject.release();
    subject.acquireSync([10, 5], { write: true });
    subject.acquireSync([100, 3]);
    subject.acquireSync([2 ** 40, 2]);
  };
  // A handle request (lock, lockSync, withLock) is its own scope and waits for the owner
  // scope's baseline locks like for another owner's: an untimed one over them would wait
  // forever, as documented. Handle targets therefore start from an empty owner scope.
  const releaseOwnerScope = (): void => subject.release();
  let tried = 0;
  let rejected = 0;
  let accepted = 0;

  const targets: FuzzTarget[] = [
    {
      name: 'new LocksFile',
      args: fc.oneof(
        fc.tuple(),
        fc.tuple(anyPath(sandbox)),
        fc.tuple(anyPath(sandbox), anyLocksFileOptions),
        fc.tuple(fc.constant(undefined), anyLocksFileOptions),
      ),
      examples: sweep(['swept.lock', undefined], 1, ['id', 'logger', 'verbose', 'backend']),
      run: (args) => new LocksFile(...(args as [string, api.LocksFileOptions])),
      cleanup: (lf) => {
        const instance = lf as LocksFile;
        const where = instance.path;
        instance.close();
        if (where.startsWith('/tmp/locksfile-') && !where.startsWith(sandbox)) fs.rmSync(where, { force: true });
      },
    },
    ...(
      [
        ['acquireSync', false],
        ['lockSync', false],
        ['probe', false],
        ['acquire', true],
        ['lock', true],
      ] as const
    ).map(([method, isAsync]): FuzzTarget => {
      const handle = method === 'lockSync' || method === 'lock';
      return {
        name: method,
        ...(isAsync ? { async: true } : {}),
        args: fc.oneof(fc.tuple(), fc.tuple(anySpec), fc.tuple(anySpec, anyAcquireOptions), fc.tuple(anySpec, anyAcquireOptions, anyValue)),
        examples: [
          ...sweep([[1, 2], undefined], 1, ['write', 'blocking', 'timeout', 'signal']),
          ...sweep([{ start: 1, count: 2 }]),
          ...sweep([[1, 2], { write: true }]).map(([s]) => [[s, 2]]),
        ],
        run: (args) => (subject[method] as (...a: unknown[]) => unknown)(...args),
        ...(handle ? { prepare: releaseOwnerScope } : {}),
        cleanup: (r) => {
          if (handle) (r as LockHandle).release();
        },
      };
    }),
    {
      name: 'withLock',
      async: true,
      // A callback that throws is the caller's error, passed through: only non-throwing ones.
      args: fc.tuple(
        anySpec,
        anyAcquireOptions,
        fc.oneof(
          fc.constant(() => 7),
          fc.constant(async () => 8),
          anyValue.filter((v) => typeof v !== 'function'),
        ),
      ),
      examples: sweep([[1, 2], undefined, () => 7], 1, ['write', 'blocking', 'timeout', 'signal']).filter(
        (a) => typeof a[2] === 'function' && a[2].length === 0,
      ),
      run: (args) => (subject.withLock as (...a: unknown[]) => unknown)(...args),
      prepare: releaseOwnerScope,
    },
    {
      name: 'release',
      args: fc.oneof(fc.tuple(), fc.tuple(anySpec), fc.tuple(anySpec, anyValue)),
      examples: sweep([[1, 2]]),
      run: (args) => (subject.release as (...a: unknown[]) => unknown)(...args),
    },
    {
      name: 'held',
      args: fc.array(anyValue, { maxLength: 2 }),
      run: (args) => (subject.held as (...a: unknown[]) => unknown)(...args),
    },
    {
      name: 'close',
      args: fc.array(anyValue, { maxLength: 1 }),
      run: (args) => (subject.close as (...a: unknown[]) => unknown)(...args),
      cleanup: () => baseline(),
    },
    {
      name: 'handle.release',
      args: fc.tuple(fc.tuple(fc.nat(300), fc.integer({ min: 1, max: 20 })), fc.boolean(), anyValue),
      prepare: releaseOwnerScope,
      run: (args) => {
        const [spec, twice, extra] = args as [[number, number], boolean, unknown];
        const h = subject.lockSync(spec, { write: true });
        (h.release as (...a: unknown[]) => unknown)(extra);
        if (twice) h[Symbol.dispose]();
        return h;
      },
    },
    {
      name: 'createLogger',
      args: fc.oneof(
        fc.tuple(),
        fc.tuple(anyValue),
        fc.tuple(fc.string(), fc.oneof(fc.constantFrom<unknown>('debug', 'info', 'warn', 'error', 'silent', 'trace', 'DEBUG'), anyValue)),
      ),
      examples: sweep(['name', 'info']),
      run: (args) => (api.createLogger as (...a: unknown[]) => unknown)(...args),
    },
    ...(options.extra ?? []),
  ];

  const byName = new Map(targets.map((t) => [t.name, t]));

  const check = async (call: FuzzCall): Promise<void> => {
    tried++;
    const target = byName.get(call.target);
    if (target === undefined) throw new Error(`unknown target ${call.target}`);
    baseline();
    target.reset?.();
    const fdsBase = fdCount();
    target.prepare?.();
    const heldBefore = heldString(subject);
    const kernelBefore = kernelLocks(observer);
    const fdsBefore = fdCount();
    const stateBefore = target.state?.();
    let result: unknown;
    let error: unknown;
    let failed = false;
    try {
      result = target.run(call.args, sandbox);
    } catch (err) {
      failed = true;
      error = err;
      if (target.async === true) throw new Error(`${call.target} threw synchronously instead of rejecting: ${describeError(err)}`);
    }
    if (!failed && isThenable(result)) {
      try {
        result = await result;
      } catch (err) {
        failed = true;
        error = err;
      }
    }
    if (failed) {
      rejected++;
      if (!(error instanceof LockError)) throw new Error(`${call.target} failed with an untyped error: ${describeError(error)}`);
      if (!subject.closed) {
        const heldAfter = heldString(subject);
        if (heldAfter !== heldBefore) throw new Error(`held() changed by a failed ${call.target}: "${heldBefore}" -> "${heldAfter}" (${describeError(error)})`);
      }
      const kernelAfter = kernelLocks(observer);
      if (kernelAfter !== kernelBefore)
        throw new Error(`kernel locks changed by a failed ${call.target}: "${kernelBefore}" -> "${kernelAfter}" (${describeError(error)})`);
      const stateAfter = target.state?.();
      if (stateAfter !== stateBefore)
        throw new Error(`state changed by a failed ${call.target}: "${stateBefore}" -> "${stateAfter}" (${describeError(error)})`);
      const fdsAfter = fdCount();
      if (fdsAfter !== fdsBefore) throw new Error(`fd count changed by a failed ${call.target}: ${fdsBefore} -> ${fdsAfter} (${describeError(error)})`);
      return;
    }
    accepted++;
    if (!subject.closed) {
      const held = heldString(subject);
      const kernel = kernelLocks(observer);
      if (held !== kernel) throw new Error(`after ${call.target} succeeded, held() says "${held}" but the kernel has "${kernel}"`);
    }
    await target.cleanup?.(result);
    if (fdCount() !== fdsBase) throw new Error(`fd count changed by a successful ${call.target} and its cleanup: ${fdsBase} -> ${fdCount()}`);
  };

  return {
    targets: targets.map((t) => t.name),
    async run(name: string, runs: number, seed: number): Promise<FuzzResult> {
      const target = byName.get(name);
      if (target === undefined) throw new Error(`unknown target ${name}`);
      tried = 0;
      rejected = 0;
      accepted = 0;
      const cwd = process.cwd();
      const stderrWrite = process.stderr.write;
      process.chdir(sandbox);
      // `verbose: true` without a logger logs to stderr: keep the test output readable.
      process.stderr.write = ((): boolean => true) as typeof process.stderr.write;
      try {
        const details = await fc.check(
          fc.asyncProperty(
            target.args.map((args): FuzzCall => ({ target: name, args })),
            async (call) => {
              await check(call);
            },
          ),
          { numRuns: runs, seed, examples: (target.examples ?? []).map((args): [FuzzCall] => [{ target: name, args }]) },
        );
        const failure = details.failed ? `${describeError(details.errorInstance)}\n${(await fc.asyncDefaultReportMessage(details)) ?? ''}` : null;
        return { target: name, tried, rejected, accepted, failure };
      } finally {
        process.stderr.write = stderrWrite;
        process.chdir(cwd);
      }
    },
    close(): void {
      if (!subject.closed) subject.close();
      observer.close();
    },
  };
}

const anyTimeout: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, true, false, 0, 1, 5, -1, NaN, Infinity, 2 ** 31 - 1, 2 ** 31, '10'),
  anyNumber,
);

const anyShmOptions: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      pollInterval: fc.oneof(anyNumber, fc.constantFrom<unknown>(0, 1, 50, -1, NaN, Infinity, 2 ** 31)),
      dir: fc.oneof(fc.constantFrom<unknown>('', '/', '.', 'relative', '\0', '/nonexistent/dir', 'x'.repeat(5000)), anyValue),
      exitEvent: fc
        .oneof(fc.constantFrom<unknown>('event', 'signal', 'aborted'), anyValue)
        .map((v) => (v === 'event' ? new ExitEvent() : v === 'signal' ? new AbortController().signal : v === 'aborted' ? AbortSignal.abort() : v)),
      logger: fc.oneof(fc.constant(silentLogger), fc.constant({ info: () => undefined }), anyValue),
      description: fc.oneof(fc.string(), anyValue),
      extra: anyValue,
    },
    { requiredKeys: [] },
  ),
  anyValue,
);

const anyName: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom<unknown>('', '.', '..', 'a/b', '/abs', '../up', 'nul\0', 'é'.repeat(128), 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(300)),
  anyValue,
);

/**
 * Fuzz targets for ShmLock. The constructor gets every kind of name and options (it touches
 * nothing on disk); the other entry points run on one subject lock in `sandbox`, whose state
 * (acquired, file under the name) must be unchanged by a failed call.
 */
export function shmFuzzTargets(sandbox: string): FuzzTarget[] {
  const dir = path.join(sandbox, 'shm');
  fs.mkdirSync(dir, { recursive: true });
  const subject = new ShmLock('subject', { dir, pollInterval: 5 });
  const file = path.join(dir, 'subject');
  const state = (): string => `acquired=${subject.acquired} file=${fileState(file)}`;
  const reset = (): void => {
    subject.release(true);
    subject.getExitEvent().clear();
  };
  const method = (
    name: string,
    args: fc.Arbitrary<unknown[]>,
    call: (a: readonly unknown[]) => unknown,
    isAsync = false,
    held = false,
    examples: unknown[][] = [],
  ): FuzzTarget => ({
    name: `ShmLock.${name}`,
    args,
    examples,
    async: isAsync,
    state,
    reset,
    prepare: () => {
      if (held) subject.acquireSync(false);
    },
    run: (a) => call(a),
    cleanup: (r) => {
      if (typeof r === 'object' && r !== null && typeof (r as Partial<ShmLockHandle>).release === 'function') (r as ShmLockHandle).release();
      reset();
    },
  });
  type Fn = (...a: unknown[]) => unknown;
  const timeoutArgs = fc.oneof(fc.tuple(), fc.tuple(anyTimeout), fc.tuple(anyTimeout, anyValue));
  const requestArgs = fc.oneof(fc.tuple(), fc.tuple(fc.oneof(fc.record({ timeout: anyTimeout, blocking: anyBool }, { requiredKeys: [] }), anyValue)));
  return [
    {
      name: 'new ShmLock',
      args: fc.oneof(fc.tuple(), fc.tuple(anyName), fc.tuple(anyName, anyShmOptions)),
      examples: sweep(['swept', undefined], 1, ['pollInterval', 'dir', 'exitEvent', 'logger', 'description']),
      run: (a) => new (ShmLock as unknown as new (...args: unknown[]) => ShmLock)(...a),
      state,
    },
    method('acquire', timeoutArgs, (a) => (subject.acquire as Fn)(...a), true, false, sweep([1])),
    method('acquireSync', timeoutArgs, (a) => (subject.acquireSync as Fn)(...a), false, false, sweep([1])),
    method('lock', requestArgs, (a) => (subject.lock as Fn)(...a), true, false, sweep([{}], 0, ['timeout', 'blocking', 'signal'])),
    method('lockSync', requestArgs, (a) => (subject.lockSync as Fn)(...a), false, false, sweep([{}], 0, ['timeout', 'blocking'])),
    method(
      'withLock',
      fc.tuple(
        fc.oneof(fc.record({ timeout: anyTimeout }, { requiredKeys: [] }), anyValue),
        fc.oneof(
          fc.constant(() => 1),
          fc.constant(async () => 2),
          anyValue.filter((v) => typeof v !== 'function'),
        ),
      ),
      (a) => (subject.withLock as Fn)(...a),
      true,
      false,
      sweep([undefined, () => 1], 0, ['timeout']).filter((a) => typeof a[1] === 'function' && a[1].length === 0),
    ),
    method(
      'release',
      fc.oneof(fc.tuple(), fc.tuple(anyBool), fc.tuple(fc.boolean(), anyBool)),
      (a) => (subject.release as Fn)(...a),
      false,
      true,
      sweep([false]),
    ),
    method(
      'addExitHandlers',
      fc.oneof(
        fc.tuple(),
        fc.tuple(fc.oneof(fc.record({ exit: anyBool, signals: fc.constant(false), finalization: anyBool }, { requiredKeys: [] }), anyValue)),
      ),
      (a) => (subject.addExitHandlers as Fn)(...a),
      false,
      false,
      sweep([{ signals: false }], 0, ['exit', 'finalization'])
        .filter(
          (a) =>
            typeof a[0] === 'object' &&
            a[0] !== null &&
            !Array.isArray(a[0]) &&
            Object.getPrototypeOf(a[0]) === Object.prototype &&
            Object.keys(a[0] as object).length === 1,
        )
        .map(([o]) => [{ ...(o as object), signals: false }]),
    ),
    method(
      'description=',
      fc.tuple(anyValue),
      (a) => {
        (subject as { description: unknown }).description = a[0];
      },
      false,
      false,
      sweep(['d']),
    ),
    method('queryForErrorAfterInterrupt', fc.array(anyValue, { maxLength: 1 }), (a) => (subject.queryForErrorAfterInterrupt as Fn)(...a)),
    method('debugGetUuidOfLockingLock', fc.array(anyValue, { maxLength: 1 }), (a) => (subject.debugGetUuidOfLockingLock as Fn)(...a)),
    method('toString/uuid/acquired/getExitEvent', fc.constant([]), () => [String(subject), subject.uuid, subject.acquired, subject.getExitEvent().isSet()]),
    {
      name: 'new ExitEvent',
      args: fc.oneof(
        fc.tuple(),
        fc.tuple(
          fc.oneof(
            fc.boolean().map((b) => (b ? AbortSignal.abort() : new AbortController().signal)),
            anyValue,
          ),
        ),
      ),
      examples: sweep([undefined]),
      run: (a) => new (ExitEvent as unknown as new (...args: unknown[]) => ExitEvent)(...a),
    },
  ];
}
