/**
 * The waiter thread starts from source text, not from a file found through `__dirname`: the
 * package works through both entry points and from a single-file esbuild bundle, each time
 * with a contended wait that a waiter thread must serve.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ROOT, tmpDir } from '../helpers/paths';

let dir: string;

beforeEach(() => {
  dir = tmpDir();
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Body of a child script, given `LocksFile` and `waiterPool`: one instance holds index 0, a
 * second acquires it (busy: a waiter thread waits), the first releases after 200 ms.
 */
const CONTENDED = `
  const lockPath = process.argv[process.argv.length - 1];
  const holder = new LocksFile(lockPath);
  const waiter = new LocksFile(lockPath);
  holder.acquireSync(0, { write: true });
  const pending = waiter.acquire(0, { write: true, timeout: 20000 });
  setTimeout(() => holder.release(0), 200);
  pending.then(async (granted) => {
    const threads = waiterPool.threads;
    waiter.close();
    holder.close();
    await waiterPool.trim();
    console.log(JSON.stringify({ granted, threads }));
  });
`;

/** Runs `node ...args` with a hang guard; returns its parsed last stdout line. */
function run(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): unknown {
  const out = execFileSync(process.execPath, [...args, path.join(dir, 'test.lock')], { ...options, timeout: 30_000, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '');
}

test("require('locksfile'): a contended wait is served by a waiter thread", () => {
  const script = `const { LocksFile, waiterPool } = require('locksfile');${CONTENDED}`;
  expect(run(['-e', script], { cwd: ROOT })).toEqual({ granted: true, threads: 1 });
});

test("import('locksfile'): a contended wait is served by a waiter thread", () => {
  const script = `const { LocksFile, waiterPool } = await import('locksfile');${CONTENDED}`;
  expect(run(['--input-type=module', '-e', script], { cwd: ROOT })).toEqual({ granted: true, threads: 1 });
});

test('a single-file esbuild bundle (koffi external) starts its waiter thread without the package files', () => {
  const entry = path.join(dir, 'app.js');
  fs.writeFileSync(entry, `const { LocksFile, waiterPool } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});${CONTENDED}`);
  const bundle = path.join(dir, 'bundle.js');
  buildSync({ entryPoints: [entry], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', external: ['koffi'], logLevel: 'error' });
  const code = fs.readFileSync(bundle, 'utf8');
  expect(code).toContain('WAITER_SOURCE');
  expect(code).not.toMatch(/waiter-thread\.js/);
  // Only koffi is looked up at run time (NODE_PATH); the bundle runs from a directory of its own.
  const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
  expect(run([bundle], { cwd: dir, env })).toEqual({ granted: true, threads: 1 });
});

test('lib/wait/waiter-source.ts matches waiter-thread.ts and its imports (npm run build regenerates it)', () => {
  expect(() => execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'inline-waiter.mjs'), '--check'], { encoding: 'utf8' })).not.toThrow();
});
