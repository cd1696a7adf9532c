/**
 * What the POSIX backend cannot guarantee, each hazard shown as it happens (issue 9, point 6),
 * with another process as the witness of what the kernel holds:
 * - the backend announces itself and its hazards through the logger;
 * - locks belong to the process: two instances of one process do not exclude each other;
 * - any close of the lock file anywhere in the process drops all of the process's locks on
 *   it: a worker thread closing its own instance, or `fs.readFileSync(lockPath)`.
 * (The automatic fallback itself needs a kernel without OFD locks, which this test machine
 * is not; it takes the same path as `backend: 'posix'` with another first line of the warning.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type LocksFile, type Logger } from 'locksfile';
import { killAll, type LineChild, spawnNode } from '../helpers/children';
import { fixture, ROOT } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';
import { useLocksFiles } from '../helpers/instances';

const scratch = useScratchDir();
let lockPath: string;
const open = useLocksFiles(() => lockPath);
const openPosix = (logger?: Logger): LocksFile => open({ backend: 'posix', logger });

/** An OFD owner in another process: sees every lock this process holds. */
async function witness(): Promise<LineChild> {
  const child = spawnNode(fixture('owner'), [lockPath]);
  expect(await child.takeLine()).toMatch(/^ready \d+$/);
  return child;
}

beforeEach(() => {
  lockPath = path.join(scratch(), 'posix.lock');
});

afterEach(async () => {
  await killAll();
});

test('the POSIX backend warns through the logger, naming its hazards; OFD does not warn', () => {
  const warnings: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined };
  const lf = openPosix(logger);
  expect(lf.backend).toBe('posix');
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('POSIX record locks');
  expect(warnings[0]).toContain('belong to the whole process');
  expect(warnings[0]).toContain('drops all of its locks');
  const ofd = open({ logger });
  expect(ofd.backend).toBe('ofd');
  expect(warnings).toHaveLength(1);
});

test('hazard: two POSIX instances of one process do not exclude each other', async () => {
  const a = openPosix();
  const b = openPosix();
  expect(a.acquireSync(0, { write: true })).toBe(true);
  expect(b.acquireSync(0, { write: true, blocking: false })).toBe(true); // OFD would say false here
  const other = await witness();
  expect(await other.ask('try 0 1 r')).toBe('busy');
});

test("hazard: a worker thread closing its own instance of the file drops the main thread's locks", async () => {
  const lf = openPosix();
  expect(lf.acquireSync(3, { write: true })).toBe(true);
  const other = await witness();
  expect(await other.ask('try 3 1 r')).toBe('busy');
  const worker = new Worker(
    `const { LocksFile } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
     new LocksFile(${JSON.stringify(lockPath)}, { backend: 'posix' }).close();`,
    { eval: true },
  );
  const code = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', resolve);
  });
  expect(code).toBe(0);
  expect(lf.held()).toEqual([{ start: 3, count: 1, write: true }]); // what the instance believes
  expect(await other.ask('try 3 1 w')).toBe('ok'); // what the kernel says: gone
});

test('hazard: fs.readFileSync of the lock path drops every POSIX lock of the process on it', async () => {
  const lf = openPosix();
  expect(lf.acquireSync([4, 2], { write: true })).toBe(true);
  const other = await witness();
  expect(await other.ask('try 4 1 r')).toBe('busy');
  fs.readFileSync(lockPath);
  expect(await other.ask('try 4 2 w')).toBe('ok');
});
