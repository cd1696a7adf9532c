/**
 * The state the library keeps per JS thread lives in instances, not in modules: a fresh
 * `ThreadState` (or `DescriptorTable`) shares nothing with the thread's own, so a test can
 * start from a clean one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// Internal: the owner of per-thread state is not part of the public surface.
import { DescriptorTable } from '../../dist/sys/descriptors';
import { fdFileId } from '../../dist/sys/identity';
import { ThreadState, threadState } from '../../dist/process-hooks/thread-state';
import { tmpDir } from '../helpers/paths';

let dir: string;

beforeEach(() => {
  dir = tmpDir();
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Whether `fd` is still an open descriptor of this process. */
function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

test('threadState() is one object per thread; new ThreadState() is a fresh one with its own parts', () => {
  const own = threadState();
  expect(threadState()).toBe(own);
  const fresh = new ThreadState();
  expect(fresh).not.toBe(own);
  expect(fresh.interrupt).not.toBe(own.interrupt);
  expect(fresh.descriptors).not.toBe(own.descriptors);
  expect(fresh.exitHooks).not.toBe(own.exitHooks);
  expect(fresh.waiters).not.toBe(own.waiters);
});

test('a POSIX descriptor is parked only in the table that adopted its file', () => {
  const file = path.join(dir, 'lock');
  fs.writeFileSync(file, '');
  const [a, b, c] = [fs.openSync(file, 'r+'), fs.openSync(file, 'r+'), fs.openSync(file, 'r+')];
  const id = fdFileId(a);
  const adopting = new DescriptorTable();
  const other = new DescriptorTable();
  adopting.adopt('posix', id);
  adopting.adopt('posix', id);
  // Another table knows nothing of the file: it closes at once.
  other.close(c, 'posix', id);
  expect(isOpen(c)).toBe(false);
  // The adopting table parks the first close while the file's other descriptor is open...
  adopting.close(a, 'posix', id);
  expect(isOpen(a)).toBe(true);
  // ...and closes both with the last one.
  adopting.close(b, 'posix', id);
  expect([isOpen(a), isOpen(b)]).toEqual([false, false]);
});
