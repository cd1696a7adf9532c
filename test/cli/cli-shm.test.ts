/**
 * `locksfile shm NAME -- COMMAND`: the command runs under a ShmLock, the named mutex shared
 * with Python's shmlock (`/dev/shm/NAME` created exclusively, holding the holder's uuid).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineChild, spawnPython } from '../helpers/children';
import { CLI, runCli, startCli, stderrShows } from '../helpers/cli';
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
  expect(busy.stderr).toContain('held by the holder with uuid');
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
  expect(fs.readdirSync(dir)).toEqual([]);
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
    await stderrShows(waiter, 'waiting for');
    py.send('release');
    await py.takeLine((l) => l === 'released');
    expect(await waiter.takeLine()).toBe('ran');
    expect((await waiter.waitExit()).code).toBe(0);
  } finally {
    fs.rmSync(path.join('/dev/shm', name), { force: true });
  }
});

test('several racing processes update a counter file exactly under one name', async () => {
  const dir = scratch();
  const counter = path.join(dir, 'counter');
  fs.writeFileSync(counter, '0');
  const step = path.join(dir, 'step.sh');
  fs.writeFileSync(step, 'n=$(cat "$1"); sleep 0.02; echo $((n + 1)) > "$1"\n');
  const loop = 'for i in 1 2 3 4 5; do "$1" "$2" shm --dir "$3" counter -- sh "$4" "$5" || exit 1; done';
  fs.mkdirSync(path.join(dir, 'locks'));
  const workers = Array.from({ length: 4 }, () => new LineChild('sh', ['-c', loop, 'sh', process.execPath, CLI, path.join(dir, 'locks'), step, counter]));
  for (const w of workers) w.endInput();
  const exits = await Promise.all(workers.map((w) => w.waitExit(60_000)));
  expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0]);
  expect(fs.readFileSync(counter, 'utf8').trim()).toBe('20');
});
