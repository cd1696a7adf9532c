/**
 * Interoperability with Python's shmlock, played by python3's standard library with exactly
 * shmlock's protocol: `SharedMemory(name, create=True, size=16)` (shm_open O_CREAT|O_EXCL,
 * mode 0600, under /dev/shm), the holder's uuid4 written into it, `close()` + `unlink()` on
 * release, and a retry every 50 ms while the name exists.
 */
import * as fs from 'node:fs';
import type { ShmLock } from 'locksfile';
import { type LineChild, spawnPython } from '../helpers/children';
import { endShmTest, type ShmTest, startShmTest } from '../helpers/shm-driver';

/**
 * `acquire <name>`: shmlock's acquire loop. While the name exists it prints, once,
 * `busy <uuid in the file>`; once it holds the lock, `held <its uuid4>`. A `release` line
 * then releases (prints `released`) and exits.
 */
const PYTHON = String.raw`
import sys, time, uuid
from multiprocessing import shared_memory

name = sys.argv[1]
reported = False
while True:
    try:
        shm = shared_memory.SharedMemory(name=name, create=True, size=16)
        break
    except FileExistsError:
        if not reported:
            with open('/dev/shm/' + name, 'rb') as f:
                print('busy', uuid.UUID(bytes=f.read(16)), flush=True)
            reported = True
        time.sleep(0.05)
me = uuid.uuid4()
shm.buf[:16] = me.bytes
print('held', me, flush=True)
sys.stdin.readline()
shm.close()
shm.unlink()
print('released', flush=True)
`;

let name: string;
let lock: ShmLock;
let shm: ShmTest;

beforeEach(() => ({ name, lock } = shm = startShmTest('locksfile-interop')));
afterEach(() => endShmTest(shm));

async function pythonHolder(): Promise<{ child: LineChild; uuid: string }> {
  const child = spawnPython(PYTHON, [name]);
  const line = await child.takeLine((l) => l.startsWith('held '));
  return { child, uuid: line.slice('held '.length) };
}

test('a Python holder: Node reads its uuid, never breaks it, and gets the lock after its release', async () => {
  const { child, uuid } = await pythonHolder();
  // SharedMemory('x') is /dev/shm/x on Linux: the same file a ShmLock uses.
  expect(lock.path).toBe(`/dev/shm/${name}`);
  expect(fs.statSync(lock.path).mode & 0o777).toBe(0o600);
  expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  expect(lock.debugGetUuidOfLockingLock()).toBe(uuid);
  lock.queryForErrorAfterInterrupt();

  expect(await lock.acquire(false)).toBe(false);
  expect(lock.acquireSync(false)).toBe(false);
  expect(await lock.acquire(200)).toBe(false); // a foreign holder is polled, never broken
  expect(lock.debugGetUuidOfLockingLock()).toBe(uuid);

  const waiting = lock.acquire(10_000);
  const t0 = performance.now();
  child.send('release');
  expect(await child.takeLine()).toBe('released');
  expect(await waiting).toBe(true);
  expect(performance.now() - t0).toBeLessThan(2000); // about one 50 ms poll
  expect(fs.readFileSync(lock.path).length).toBe(16);
  expect(lock.debugGetUuidOfLockingLock()).toBe(lock.uuid);
});

test('a Node holder: Python sees the name taken and its uuid, then takes the lock after the release', async () => {
  expect(await lock.acquire()).toBe(true);
  const child = spawnPython(PYTHON, [name]);
  expect(await child.takeLine()).toBe(`busy ${lock.uuid}`);
  await new Promise((r) => setTimeout(r, 150));
  expect(child.pending).toEqual([]); // still waiting
  expect(lock.release()).toBe(true);
  const held = await child.takeLine((l) => l.startsWith('held '));
  const pythonUuid = held.slice('held '.length);
  expect(lock.debugGetUuidOfLockingLock()).toBe(pythonUuid);
  expect(await lock.acquire(false)).toBe(false);

  // And back: Node waits for Python's release.
  const waiting = lock.acquire(10_000);
  child.send('release');
  expect(await waiting).toBe(true);
  expect(await child.waitExit()).toEqual({ code: 0, signal: null });
});
