/** Paths shared by tests, fixtures and benchmarks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Repository root. Works from `test/helpers` (ts-jest) and `test/.build/test/helpers` (compiled). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

/** Compiled JS of a fixture in `test/fixtures/<name>.ts`, runnable with `node`. */
export function fixture(name: string): string {
  return path.join(ROOT, 'test', '.build', 'test', 'fixtures', `${name}.js`);
}

/** A fresh empty directory under the OS temp dir; removed by the caller with `fs.rmSync`. */
export function tmpDir(prefix = 'locksfile-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
