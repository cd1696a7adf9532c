/**
 * `locksfile shm NAME -- COMMAND`: the command runs under a ShmLock, the named mutex shared
 * with Python's shmlock (`/dev/shm/NAME` created exclusively, holding the holder's uuid).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnPython } from '../helpers/children';
import { raceCounter, runCli, startCli, stderrShows } from '../helpers/cli';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-shm-');

test('a holder excludes -n and -w; the name is free and its file gone once the command ends', async () => {
  const dir = scratch();
  const holder = startCli(['shm', '--dir', dir, 'job', '-c', 'echo held; read line']);
  expect(await holder.takeLine()).toBe('held');
  expect(fs.existsSync(path.join(dir, 'job'))).toBe(true);
  expect((await runCli(['shm', '--dir', dir, '-n', 'job', 'true'])).code).toBe(1);
  const busy = await runCli(['shm', '--dir', dir, '-w', '0.3', '-E', '7', '--verbose', 'job', 'true']);
  expect(busy.code).toBe(7);
  expect(busy.stderr).toMatch(new RegExp(`held by pid ${holder.pid} \\(.*read line\\) with uuid [0-9a-f-]{36}`));
  holder.send('done');
  expect((await holder.waitExit()).code).toBe(0);
  expect(fs.existsSync(path.join(dir, 'job'))).toBe(false);
  expect(await runCli(['shm', '--dir', dir, '-n', 'job', '--', 'echo', 'ran'])).toMatchObject({ code: 0, stdout: ['ran'] });
});

test('a waiter gets the name when the holder ends; SIGINT cancels a wait without leaving a file', async () => {
  const dir = scratch();
  const holder = startCli(['shm', '--dir', dir, 'job', '-c', 'echo held; read line']);
  expect(await holder.takeLine()).toBe('held');
  const cancelled = startCli(['shm', '--dir', dir, '--verbose', 'job', '--', 'echo', 'cancelled ran']);
  const waiter = startCli(['shm', '--dir', dir, '--verbose', 'job', '--', 'echo', 'ran']);
  await stderrShows(cancelled, 'waiting for');
  await stderrShows(waiter, 'waiting for');
  cancelled.kill('SIGINT');
  expect((await cancelled.waitExit()).code).toBe(130);
  holder.send('done');
  expect(await waiter.takeLine()).toBe('ran');
  expect((await waiter.waitExit()).code).toBe(0);
  expect(cancelled.pending).toEqual([]);
  // Only the fair queue's side file stays (by design, never deleted), empty.
  expect(fs.readdirSync(dir)).toEqual(['.job.queue']);
  expect(fs.statSync(path.join(dir, '.job.queue')).size).toBe(0);
});

test('a Python shmlock-protocol holder (SharedMemory create) excludes the CLI until it unlinks', async () => {
  const name = `locksfile-cli-${randomUUID()}`;
  const py = spawnPython(
    String.raw`
import sys, uuid
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=16)
shm.buf[:16] = uuid.uuid4().bytes
print("locked", flush=True)
sys.stdin.readline()
shm.close()
shm.unlink()
print("released", flush=True)
sys.stdin.read()
`,
    [name],
  );
  try {
    await py.takeLine((l) => l === 'locked');
    expect((await runCli(['shm', '-n', name, 'true'])).code).toBe(1);
    const waiter = startCli(['shm', '--verbose', name, '--', 'echo', 'ran']);
    await stderrShows(waiter, 'a Python shmlock holder keeps no kernel lock');
    py.send('release');
    await py.takeLine((l) => l === 'released');
    expect(await waiter.takeLine()).toBe('ran');
    expect((await waiter.waitExit()).code).toBe(0);
  } finally {
    fs.rmSync(path.join('/dev/shm', name), { force: true });
  }
});

test('several racing processes update a counter file exactly under one name', async () => {
  const locks = path.join(scratch(), 'locks');
  fs.mkdirSync(locks);
  expect(await raceCounter(scratch(), ['shm', '--dir', locks, 'counter'])).toEqual({ codes: [0, 0, 0, 0], count: 20 });
});
