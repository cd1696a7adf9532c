/**
 * Signals and the `locksfile` command: SIGINT/SIGTERM while it waits cancel the wait (exit
 * 130/143, the command never runs, nothing stays held); while the command runs they are
 * forwarded to it and the lock is kept until the command ends, whatever way it ends.
 */
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { pythonHolder, startCli, stderrShows } from '../helpers/cli';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-sig-');
const lockFile = (): string => path.join(scratch(), 'sig.lock');

function isFree(file: string): boolean {
  using lf = new LocksFile(file);
  return lf.probe(0, { write: true }) === null;
}

test.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s while waiting cancels the wait: exit %i, the command never runs, nothing held', async (signal, status) => {
  const py = await pythonHolder(lockFile(), 0, 1, 'write');
  const waiter = startCli(['--verbose', lockFile(), '--', 'echo', 'ran']);
  await stderrShows(waiter, 'waiting for');
  waiter.kill(signal);
  expect((await waiter.waitExit()).code).toBe(status);
  expect(waiter.stderr).toContain(`wait cancelled by ${signal}`);
  expect(waiter.pending).toEqual([]);
  py.endInput();
  await py.waitExit();
  expect(isFree(lockFile())).toBe(true);
});

test('SIGTERM while the command runs is forwarded to it; the tool exits with its status and frees the lock', async () => {
  const script = 'trap "echo got TERM; exit 9" TERM; echo $$; while :; do sleep 0.05; done';
  const holder = startCli([lockFile(), '-c', script]);
  const commandPid = Number(await holder.takeLine());
  expect(commandPid).toBeGreaterThan(0);
  expect(isFree(lockFile())).toBe(false);
  holder.kill('SIGTERM');
  expect(await holder.takeLine()).toBe('got TERM');
  expect((await holder.waitExit()).code).toBe(9);
  expect(isFree(lockFile())).toBe(true);
});

test('SIGINT while the command runs ends a command that does not catch it: exit 130, lock freed', async () => {
  const holder = startCli([lockFile(), '--', 'sh', '-c', 'echo started; exec sleep 30']);
  expect(await holder.takeLine()).toBe('started');
  holder.kill('SIGINT');
  expect((await holder.waitExit()).code).toBe(130);
  expect(isFree(lockFile())).toBe(true);
});

test('a command killed from outside (SIGKILL) frees the lock; the tool exits 137', async () => {
  const holder = startCli([lockFile(), '--', 'sh', '-c', 'echo $$; exec sleep 30']);
  const commandPid = Number(await holder.takeLine());
  expect(isFree(lockFile())).toBe(false);
  process.kill(commandPid, 'SIGKILL');
  expect((await holder.waitExit()).code).toBe(137);
  expect(isFree(lockFile())).toBe(true);
});
