/**
 * The error contract: every error is a branded `LockError` with a `code` from
 * `LockErrorCode`; `instanceof` works across two installed copies of the package (a second
 * copy of dist/ loaded in a real child process); and every exported error class and code is
 * documented in README.md's error table (a test that fails when one is missing).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as locksfile from 'locksfile';
import { LockError, LockTimeoutError } from 'locksfile';

const ROOT = path.join(__dirname, '..', '..');

/** The exported error classes: LockError and each of its subclasses, by export name. */
const errorClasses = Object.entries(locksfile).filter(
  (entry): entry is [string, typeof LockError] => typeof entry[1] === 'function' && (entry[1] === LockError || entry[1].prototype instanceof LockError),
);

test('every subclass lists its own codes; together they are every code, each owned by one class', () => {
  const owned = new Map<string, string>();
  for (const [name, cls] of errorClasses) {
    if (cls === LockError) continue;
    expect(Object.prototype.hasOwnProperty.call(cls, 'codes')).toBe(true);
    for (const code of cls.codes) {
      expect(owned.get(code)).toBeUndefined();
      owned.set(code, name);
    }
  }
  expect([...owned.keys()].sort()).toEqual([...LockError.codes].sort());
  expect(errorClasses.length).toBeGreaterThanOrEqual(13);
});

test("README.md's error table names every exported error class with all of its codes", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
  for (const [name, cls] of errorClasses) {
    const row = rows.find((line) => line.startsWith(`| \`${name}\` |`));
    if (row === undefined) throw new Error(`README.md has no error table row for ${name}`);
    if (cls === LockError) continue;
    for (const code of cls.codes) expect(row).toContain(`\`${code}\``);
  }
});

test('instanceof works across two installed copies of the package, by brand and code', () => {
  // A second copy of dist/ beside the first (node_modules resolve from the worktree as for an
  // install), loaded with the first in one real process.
  const copy = fs.mkdtempSync(path.join(ROOT, 'test', '.build', 'dist-copy-'));
  try {
    fs.cpSync(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
    const script = `
      const a = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
      const b = require(${JSON.stringify(path.join(copy, 'dist', 'index.js'))});
      const thrown = (fn) => { try { fn(); } catch (err) { return err; } throw new Error('no throw'); };
      const made = {
        timeout: new b.LockTimeoutError('t'),
        invalid: thrown(() => new b.ShmLock('')),
        abort: new b.LockAbortError('a', 'why'),
        path: new b.LockPathError('/x', 'p', 'ELOOP'),
      };
      const lookAlike = Object.assign(new Error('fake'), { code: 'ERR_LOCK_TIMEOUT' });
      const out = {
        distinct: a.LockError !== b.LockError,
        prototype: Object.getPrototypeOf(made.timeout) === a.LockTimeoutError.prototype,
        matrix: {},
        lookAlike: { LockError: lookAlike instanceof a.LockError, LockTimeoutError: lookAlike instanceof a.LockTimeoutError },
        back: new a.LockBusyError('x') instanceof b.LockBusyError,
        error: made.timeout instanceof Error,
      };
      for (const [kind, err] of Object.entries(made)) {
        out.matrix[kind] = {};
        for (const cls of ['LockError', 'LockTimeoutError', 'InvalidArgumentError', 'LockAbortError', 'LockPathError', 'LockBusyError']) out.matrix[kind][cls] = err instanceof a[cls];
      }
      process.stdout.write(JSON.stringify(out));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 })) as Record<string, unknown>;
    expect(out).toEqual({
      distinct: true,
      prototype: false,
      matrix: {
        timeout: { LockError: true, LockTimeoutError: true, InvalidArgumentError: false, LockAbortError: false, LockPathError: false, LockBusyError: false },
        invalid: { LockError: true, LockTimeoutError: false, InvalidArgumentError: true, LockAbortError: false, LockPathError: false, LockBusyError: false },
        abort: { LockError: true, LockTimeoutError: false, InvalidArgumentError: false, LockAbortError: true, LockPathError: false, LockBusyError: false },
        path: { LockError: true, LockTimeoutError: false, InvalidArgumentError: false, LockAbortError: false, LockPathError: true, LockBusyError: false },
      },
      lookAlike: { LockError: false, LockTimeoutError: false },
      back: true,
      error: true,
    });
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('within one copy instanceof is unchanged: classes, Error, and nothing else', () => {
  const err = new LockTimeoutError('t');
  expect(err).toBeInstanceOf(LockTimeoutError);
  expect(err).toBeInstanceOf(LockError);
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(locksfile.LockBusyError);
  expect({ code: 'ERR_LOCK_TIMEOUT' }).not.toBeInstanceOf(LockError);
  expect(null).not.toBeInstanceOf(LockError);
  expect(err.code satisfies locksfile.LockErrorCode).toBe('ERR_LOCK_TIMEOUT');
  // The brand is not enumerable: errors still compare and print as before.
  expect(Object.getOwnPropertyDescriptor(err, Symbol.for('locksfile.error'))).toMatchObject({ value: true, enumerable: false });
});
