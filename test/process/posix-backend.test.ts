/**
 * The classic POSIX record-lock backend (`backend: 'posix'`), the fallback for kernels
 * without OFD locks: exclusion across processes, real pids in probe(), kernel deadlock
 * detection, and descriptors of one file closed without dropping another instance's locks.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DeadlockError, LocksFile } from 'locksfile';
import { type LineChild, spawnNode } from '../helpers/children';
import { untilBlocked } from '../helpers/kernel-locks';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

const run = promisify(execFile);
const scratch = useScratchDir();
let lockPath: string;
const children: LineChild[] = [];

beforeEach(() => {
  lockPath = path.join(scratch(), 'posix.lock');
});

afterEach(() => {
  children.splice(0);
});

test('4 processes x 1,000 increments under POSIX write locks come out exact', async () => {
  const counter = path.join(scratch(), 'counter');
  fs.writeFileSync(counter, '0');
  const outputs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, [fixture('posix-counter'), lockPath, counter, '1000'])));
  expect(outputs.map((o) => o.stdout.trim())).toEqual(['done', 'done', 'done', 'done']);
  expect(fs.readFileSync(counter, 'utf8')).toBe('4000');
});

test('probe reports the holding process pid; the other process waits for it', async () => {
  const child = spawnNode(fixture('owner'), [lockPath, 'posix']);
  children.push(child);
  const ready = await child.takeLine();
  const pid = Number(ready.split(' ')[1]);
  expect(await child.ask('lock 2 3 w')).toBe('ok');
  const lf = new LocksFile(lockPath, { backend: 'posix' });
  expect(lf.probe([0, 10], { write: false })).toEqual({ start: 2, count: 3, write: true, pid });
  expect(lf.acquireSync(3, { blocking: false })).toBe(false);
  expect(lf.acquireSync(5, { write: true, blocking: false })).toBe(true);
  const waiting = lf.acquire(4, { write: true });
  const released = new Promise((r) => setTimeout(r, 50)).then(() => child.ask('release'));
  expect(await waiting).toBe(true);
  expect(await released).toBe('ok');
  expect(lf.held()).toEqual([{ start: 4, count: 2, write: true }]);
  lf.close();
});

test("closing one POSIX instance keeps another instance's locks on the same file", async () => {
  const a = new LocksFile(lockPath, { backend: 'posix' });
  const b = new LocksFile(lockPath, { backend: 'posix' });
  expect(a.acquireSync(1, { write: true })).toBe(true);
  expect(b.acquireSync(7, { write: true })).toBe(true);
  a.close();
  const child = spawnNode(fixture('owner'), [lockPath, 'posix']);
  children.push(child);
  await child.takeLine();
  expect(await child.ask('try 1 1 w')).toBe('ok');
  expect(await child.ask('try 7 1 w')).toBe('busy');
  b.close();
  expect(await child.ask('try 7 1 w')).toBe('ok');
});

test("the kernel's deadlock detection surfaces as DeadlockError", async () => {
  const child = spawnNode(fixture('owner'), [lockPath, 'posix']);
  children.push(child);
  await child.takeLine();
  const lf = new LocksFile(lockPath, { backend: 'posix' });
  expect(lf.acquireSync(0, { write: true })).toBe(true);
  expect(await child.ask('lock 1 1 w')).toBe('ok');
  // The child now blocks on index 0 (ours) while we ask for index 1 (its): a cycle. Only once
  // the kernel lists the child's request as blocked is the cycle ours to close; had we asked
  // first, the kernel would give the deadlock error to the child and we would wait. The
  // timeout keeps this thread from ever waiting in the kernel without end (CI must not hang).
  const childWaits = child.ask('lock 0 1 w');
  await untilBlocked(lockPath, (w) => w.pid === child.pid && w.start === 0);
  expect(() => lf.acquireSync(1, { write: true, timeout: 5000 })).toThrow(DeadlockError);
  lf.close();
  expect(await childWaits).toBe('ok');
});
