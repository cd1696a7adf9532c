/**
 * LockManager in one process (the jest worker), several managers on one registry: argument
 * errors exactly as the W3C spec, callback and promise semantics, names (Unicode, lone
 * surrogates, hash collisions, long), the bounded registry, steal, abort and close.
 */
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DeadlockError,
  InvalidArgumentError,
  LockClosedError,
  LockManager,
  LockPathError,
  LocksFile,
  LockSystemError,
  LockTimeoutError,
  locks,
} from 'locksfile';
import { ROOT } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-lm-');
const managers: LockManager[] = [];

function manager(clientId: string): LockManager {
  const m = new LockManager({ path: path.join(scratch(), 'ns.locks'), clientId });
  managers.push(m);
  return m;
}

afterEach(() => {
  for (const m of managers.splice(0)) m.close();
});

/** A promise and the function that resolves it. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

/** Holds `name` in `m` until the returned function is called; that one resolves once released. */
async function hold(m: LockManager, name: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<() => Promise<void>> {
  const gate = deferred();
  const held = m.request(name, { mode }, () => gate.promise);
  await new Promise((resolve) => setImmediate(resolve));
  return async () => {
    gate.resolve();
    await held;
  };
}

/** Whether another manager could take `name` right now (ifAvailable, released at once). */
async function available(m: LockManager, name: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<boolean> {
  return m.request(name, { mode, ifAvailable: true }, (lock) => lock !== null);
}

describe('argument errors, as the spec (the promise rejects; nothing is queued)', () => {
  const noop = (): void => undefined;
  const cases: [string, () => Promise<unknown>, string][] = [
    ["name starting with '-'", () => manager('a').request('-x', noop), 'NotSupportedError'],
    ['steal with ifAvailable', () => manager('a').request('x', { steal: true, ifAvailable: true }, noop), 'NotSupportedError'],
    ["steal with mode 'shared'", () => manager('a').request('x', { steal: true, mode: 'shared' }, noop), 'NotSupportedError'],
    ['signal with steal', () => manager('a').request('x', { steal: true, signal: new AbortController().signal }, noop), 'NotSupportedError'],
    ['signal with ifAvailable', () => manager('a').request('x', { ifAvailable: true, signal: new AbortController().signal }, noop), 'NotSupportedError'],
  ];
  test.each(cases)('%s: NotSupportedError DOMException', async (_what, call, name) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe(name);
    expect(await manager('q').query()).toEqual({ held: [], pending: [] });
  });

  const typeCases: [string, () => Promise<unknown>][] = [
    ['no callback', () => (manager('a').request as (name: string) => Promise<unknown>)('x')],
    ['a callback that is not a function', () => manager('a').request('x', {}, 5 as unknown as () => void)],
    ["mode 'read'", () => manager('a').request('x', { mode: 'read' as 'shared' }, noop)],
    ['options that are a number', () => manager('a').request('x', 5 as unknown as object, noop)],
    ['a signal that is not an AbortSignal', () => manager('a').request('x', { signal: {} as AbortSignal }, noop)],
  ];
  test.each(typeCases)('%s: TypeError', async (_what, call) => {
    await expect(call()).rejects.toBeInstanceOf(TypeError);
  });

  test('an already aborted signal rejects with its reason without calling back or queueing', async () => {
    const m = manager('a');
    const reason = new Error('stop');
    let called = false;
    await expect(
      m.request('x', { signal: AbortSignal.abort(reason) }, () => {
        called = true;
      }),
    ).rejects.toBe(reason);
    expect(called).toBe(false);
    expect(await m.query()).toEqual({ held: [], pending: [] });
  });

  test('bad constructor options throw InvalidArgumentError', () => {
    expect(() => new LockManager({ path: '' })).toThrow(InvalidArgumentError);
    expect(() => new LockManager({ clientId: 5 as unknown as string })).toThrow(InvalidArgumentError);
  });
});

describe('callback and promise', () => {
  test('request() settles with the callback outcome; the lock is held exactly until its promise settles', async () => {
    const a = manager('a');
    const b = manager('b');
    const gate = deferred<string>();
    let lockSeen: unknown;
    const p = a.request('x', (lock) => {
      lockSeen = lock;
      return gate.promise;
    });
    expect(lockSeen).toBeUndefined(); // the callback runs after request() returned
    await new Promise((resolve) => setImmediate(resolve));
    expect(lockSeen).toEqual({ name: 'x', mode: 'exclusive' });
    expect(await available(b, 'x')).toBe(false);
    expect((await b.query()).held).toEqual([{ name: 'x', mode: 'exclusive', clientId: 'a' }]);
    gate.resolve('result');
    expect(await p).toBe('result');
    expect(await available(b, 'x')).toBe(true);
    await expect(a.request('x', () => Promise.reject(new Error('inner')))).rejects.toThrow('inner');
    await expect(
      a.request('x', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await available(b, 'x')).toBe(true);
  });

  test('a synchronous callback releases at once: the lock is free when request() resolves', async () => {
    const a = manager('a');
    const b = manager('b');
    const order: string[] = [];
    const p = a.request('s', () => {
      order.push('callback');
      return 42;
    });
    expect(await p).toBe(42);
    expect(await b.query()).toEqual({ held: [], pending: [] });
    expect(await available(b, 's')).toBe(true);
    expect(order).toEqual(['callback']);
  });

  test('ifAvailable in one manager sees shared holders of another: shared yes, exclusive no', async () => {
    const a = manager('a');
    const b = manager('b');
    const release = await hold(a, 'rw', 'shared');
    expect(await available(b, 'rw', 'shared')).toBe(true);
    expect(await available(b, 'rw', 'exclusive')).toBe(false);
    await release();
  });
});

test('FIFO among 20 managers of one thread, exclusive and shared mixed: grants follow the queue, shared runs batched', async () => {
  const holder = manager('holder');
  const release = await hold(holder, 'fifo');
  const order: string[] = [];
  const modes = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? 'exclusive' : 'shared'));
  // Shared requests i and i + 1 (between two exclusive ones) each wait until both run: granted
  // together they pass, granted one after the other they would time out.
  const started = new Map<number, () => void>();
  const running = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`shared request ${i} ran without its batch mate`)), 10_000);
      const go = (): void => {
        clearTimeout(timer);
        resolve();
      };
      started.set(i, go);
      const mate = i % 3 === 1 ? i + 1 : i - 1;
      const mateGo = started.get(mate);
      if (mate >= modes.length) go();
      else if (mateGo !== undefined) {
        mateGo();
        go();
      }
    });
  const done = modes.map((mode, i) =>
    manager(`m${i}`).request('fifo', { mode }, async () => {
      order.push(`start ${i}`);
      await (mode === 'shared' ? running(i) : new Promise((resolve) => setTimeout(resolve, 2)));
      order.push(`end ${i}`);
    }),
  );
  expect((await holder.query()).pending.map((e) => e.clientId)).toEqual(modes.map((_, i) => `m${i}`));
  await release();
  await Promise.all(done);
  // Every exclusive request starts after everything before it ended, and everything after it starts after it ended.
  modes.forEach((mode, i) => {
    if (mode !== 'exclusive') return;
    const start = order.indexOf(`start ${i}`);
    const end = order.indexOf(`end ${i}`);
    expect(end).toBe(start + 1);
    for (let j = 0; j < 20; j++) {
      if (j < i) expect(order.indexOf(`end ${j}`)).toBeLessThan(start);
      if (j > i) expect(order.indexOf(`start ${j}`)).toBeGreaterThan(end);
    }
  });
});

describe('names', () => {
  /** FNV-1a of the UTF-16LE bytes: the hash the registry uses to skip other names quickly. */
  function fnv(name: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) {
      const unit = name.charCodeAt(i);
      hash = Math.imul(hash ^ (unit & 0xff), 0x01000193);
      hash = Math.imul(hash ^ (unit >> 8), 0x01000193);
    }
    return hash >>> 0;
  }

  test('two names with the same hash never exclude each other', async () => {
    // Found by a birthday search over `n<i>`; the assertion below proves the collision.
    const [first, second] = ['n89315', 'n828510'];
    expect(fnv(first)).toBe(fnv(second));
    const a = manager('a');
    const release = await hold(a, first);
    expect(await available(manager('b'), second)).toBe(true);
    expect(await available(manager('b'), first)).toBe(false);
    await release();
  });

  test('Unicode, lone surrogates and a 100,000-character name are distinct names, reported intact', async () => {
    const a = manager('a');
    const names = ['\uD800', '\uDC00', '\uFFFD', 'é', 'e\u0301', '🔒', 'x'.repeat(100_000)];
    const gate = deferred();
    const held = names.map((name) => a.request(name, () => gate.promise));
    await new Promise((resolve) => setImmediate(resolve));
    const snapshot = await manager('b').query();
    expect(snapshot.held.map((e) => e.name)).toEqual(names);
    expect(snapshot.pending).toEqual([]);
    gate.resolve();
    await Promise.all(held);
  });

  test('the registry does not grow with the number of names used, only with requests alive at once', async () => {
    const a = manager('a');
    const file = path.join(scratch(), 'ns.locks');
    const round = async (prefix: string): Promise<void> => {
      const gate = deferred();
      const held = Array.from({ length: 50 }, (_, i) => a.request(`${prefix}-${i}`, () => gate.promise));
      await new Promise((resolve) => setImmediate(resolve));
      gate.resolve();
      await Promise.all(held);
    };
    await round('first');
    const size = fs.statSync(file).size;
    for (let i = 0; i < 20; i++) await round(`round${i}`);
    for (let i = 0; i < 1000; i++) await a.request(`sequential-${i}`, () => undefined);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(size);
  });

  test('a huge name leaves nothing behind once released: the free tail of the registry is cut off', async () => {
    const a = manager('a');
    const file = path.join(scratch(), 'ns.locks');
    await a.request('x'.repeat(100_000), () => expect(fs.statSync(file).size).toBeGreaterThan(200_000));
    await a.request('small', () => undefined);
    expect(fs.statSync(file).size).toBeLessThan(10_000);
  });
});

describe('steal, abort and close in one process', () => {
  test('steal rejects the holder with AbortError while its callback keeps running; the stealer holds', async () => {
    const a = manager('a');
    const b = manager('b');
    const gate = deferred<string>();
    let finished = false;
    const victim = a.request('st', async () => {
      await gate.promise;
      finished = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const stealer = b.request('st', { steal: true }, async (lock) => {
      expect((await b.query()).held).toEqual([{ name: 'st', mode: 'exclusive', clientId: 'b' }]);
      return lock?.mode;
    });
    const err = await victim.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe('AbortError');
    expect(finished).toBe(false);
    expect(await stealer).toBe('exclusive');
    gate.resolve('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toBe(true);
    expect(await b.query()).toEqual({ held: [], pending: [] });
  });

  test('abort before the grant: query() right after abort() shows no ghost; the callback never runs', async () => {
    const a = manager('a');
    const b = manager('b');
    const release = await hold(a, 'ab');
    const controller = new AbortController();
    let called = false;
    const waiting = b.request('ab', { signal: controller.signal }, () => {
      called = true;
    });
    expect((await b.query()).pending).toEqual([{ name: 'ab', mode: 'exclusive', clientId: 'b' }]);
    const reason = new Error('changed my mind');
    controller.abort(reason);
    expect((await b.query()).pending).toEqual([]);
    await expect(waiting).rejects.toBe(reason);
    await release();
    expect(called).toBe(false);
  });

  test('close() rejects pending requests with LockClosedError and later calls too; held ones finish', async () => {
    const a = manager('a');
    const b = manager('b');
    const gate = deferred<string>();
    const held = b.request('c', () => gate.promise);
    const pending = b.request('c', () => 'never');
    await new Promise((resolve) => setImmediate(resolve));
    b.close();
    await expect(pending).rejects.toBeInstanceOf(LockClosedError);
    await expect(b.request('c', () => undefined)).rejects.toBeInstanceOf(LockClosedError);
    expect(await a.query()).toEqual({ held: [{ name: 'c', mode: 'exclusive', clientId: 'b' }], pending: [] });
    gate.resolve('finished');
    expect(await held).toBe('finished');
    expect(await a.query()).toEqual({ held: [], pending: [] });
  });
});

test('a worker thread terminated while it holds a lock releases it; a waiter in this thread gets it', async () => {
  const registry = path.join(scratch(), 'ns.locks');
  const code = `const { LockManager } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
    const { parentPort } = require('node:worker_threads');
    setInterval(() => undefined, 1000);
    new LockManager({ path: ${JSON.stringify(registry)}, clientId: 'worker' }).request('w', () => {
      parentPort.postMessage('held');
      return new Promise(() => undefined);
    });`;
  const worker = new Worker(code, { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  const a = manager('a');
  expect((await a.query()).held).toEqual([{ name: 'w', mode: 'exclusive', clientId: 'worker' }]);
  const waiting = a.request('w', (lock) => lock?.name);
  await worker.terminate();
  expect(await waiting).toBe('w');
});

describe('requestSync', () => {
  test('runs fn with the lock and returns its result; the lock is free afterwards; ifAvailable gives null when busy', async () => {
    const a = manager('a');
    const b = manager('b');
    expect(a.requestSync('s', (lock) => lock)).toEqual({ name: 's', mode: 'exclusive' });
    expect(await b.query()).toEqual({ held: [], pending: [] });
    const release = await hold(b, 's');
    expect(a.requestSync('s', { ifAvailable: true }, (lock) => lock)).toBeNull();
    expect(a.requestSync('s', { mode: 'shared', timeout: 0, ifAvailable: true }, (lock) => lock)).toBeNull();
    await release();
  });

  test('timeout: throws LockTimeoutError and leaves nothing queued', async () => {
    const a = manager('a');
    const b = manager('b');
    const release = await hold(b, 't');
    const started = performance.now();
    expect(() => a.requestSync('t', { timeout: 50 }, () => 'never')).toThrow(LockTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(await a.query()).toEqual({ held: [{ name: 't', mode: 'exclusive', clientId: 'b' }], pending: [] });
    await release();
    expect(a.requestSync('t', { timeout: 0 }, () => 'free again')).toBe('free again');
  });

  test('waiting for an async request of the same manager throws DeadlockError at once instead of hanging', async () => {
    const a = manager('a');
    const release = await hold(a, 'd');
    const started = performance.now();
    expect(() => a.requestSync('d', { timeout: 5000 }, () => 'never')).toThrow(DeadlockError);
    expect(performance.now() - started).toBeLessThan(2500);
    expect((await a.query()).pending).toEqual([]);
    await release();
  });

  test('a signal is refused (sync calls cannot be aborted); the spec errors are thrown', () => {
    const a = manager('a');
    expect(() => a.requestSync('x', { signal: new AbortController().signal } as object, () => undefined)).toThrow(InvalidArgumentError);
    expect(() => a.requestSync('-x', () => undefined)).toThrow(DOMException);
    expect(() => a.requestSync('x', { mode: 'read' as 'shared' }, () => undefined)).toThrow(TypeError);
  });
});

describe('registry files', () => {
  test('a file that is not a registry (short or long) is refused and left untouched; so are symlinks and directories', async () => {
    const dir = scratch();
    const short = path.join(dir, 'short.txt');
    const long = path.join(dir, 'long.txt');
    fs.writeFileSync(short, 'keep me');
    fs.writeFileSync(long, 'x'.repeat(1000));
    fs.symlinkSync(short, path.join(dir, 'link'));
    fs.mkdirSync(path.join(dir, 'dir'));
    for (const name of ['short.txt', 'long.txt', 'link', 'dir']) {
      const m = new LockManager({ path: path.join(dir, name) });
      managers.push(m);
      await expect(m.request('x', () => undefined)).rejects.toBeInstanceOf(LockPathError);
      await expect(m.query()).rejects.toBeInstanceOf(LockPathError);
    }
    expect(fs.readFileSync(short, 'utf8')).toBe('keep me');
    expect(fs.readFileSync(long, 'utf8')).toBe('x'.repeat(1000));
  });
});

test('a registry whose meta lock stays held (a stopped process) fails after 10 s instead of hanging', async () => {
  const a = manager('a');
  expect(await a.query()).toEqual({ held: [], pending: [] });
  // Another owner takes byte 0, the meta byte, the way a process stopped inside a scan would.
  const stuck = new LocksFile(path.join(scratch(), 'ns.locks'));
  stuck.acquireSync(0, { write: true });
  const started = performance.now();
  const err = await a.request('x', () => undefined).catch((e: unknown) => e);
  stuck.close();
  expect(err).toBeInstanceOf(LockSystemError);
  expect((err as LockSystemError).errno).toBe('ETIMEDOUT');
  expect(performance.now() - started).toBeGreaterThanOrEqual(9_900);
  expect(await a.request('x', (lock) => lock?.name)).toBe('x');
}, 30_000);

describe('the default manager', () => {
  test('locks uses one registry per user (mode 0600, owned by this user) and works', async () => {
    expect(locks.path).toBe(`/dev/shm/locksfile-${process.getuid?.()}.locks`);
    const name = `locksfile-test-${process.pid}-${Date.now()}`;
    expect(await locks.request(name, (lock) => lock?.name)).toBe(name);
    const stat = fs.statSync(locks.path);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(stat.uid).toBe(process.getuid?.());
  });

  test('the ES module entry exports the same LockManager and locks', () => {
    const script = `import { LockManager, locks } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.mjs'))};
      process.stdout.write(String(typeof LockManager === 'function' && locks instanceof LockManager));`;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })).toBe('true');
  });
});
