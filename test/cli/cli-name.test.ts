/**
 * `locksfile name NAME -- COMMAND` and `status --names`: the command runs under a LockManager
 * (Web Locks) request in a registry of the test's own, shared or exclusive.
 */
import * as path from 'node:path';
import { raceCounter, runCli, startCli, stderrShows } from '../helpers/cli';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-name-');
const registry = (): string => path.join(scratch(), 'names.locks');

interface Info {
  name: string;
  mode: string;
  clientId: string;
}

async function names(): Promise<{ held: Info[]; pending: Info[] }> {
  const result = await runCli(['status', '--names', '--registry', registry(), '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout.join('\n')) as { held: Info[]; pending: Info[] };
}

test('an exclusive holder excludes -n and -w and shows in status --names with its pid and command; then the name is free', async () => {
  const holder = startCli(['name', '--registry', registry(), 'deploy', '-c', 'echo held; read line']);
  expect(await holder.takeLine()).toBe('held');
  expect((await runCli(['name', '--registry', registry(), '-n', 'deploy', 'true'])).code).toBe(1);
  const timed = await runCli(['name', '--registry', registry(), '-w', '0.3', '-E', '5', '--verbose', 'deploy', 'true']);
  expect(timed.code).toBe(5);
  expect(timed.stderr).toContain(`held by locksfile[${holder.pid}]`);
  expect((await runCli(['name', '--registry', registry(), '-n', 'other', 'true'])).code).toBe(0);

  const waiter = startCli(['name', '--registry', registry(), '--verbose', '-s', 'deploy', '--', 'echo', 'ran']);
  await stderrShows(waiter, 'waiting for');
  const snapshot = await names();
  expect(snapshot.held).toEqual([
    { name: 'deploy', mode: 'exclusive', clientId: expect.stringMatching(new RegExp(`^locksfile\\[${holder.pid}\\] .*read line$`)) },
  ]);
  expect(snapshot.pending).toEqual([{ name: 'deploy', mode: 'shared', clientId: `locksfile[${waiter.pid}] echo ran` }]);
  const table = await runCli(['status', '--names', '--registry', registry()]);
  expect(table.stdout[1]).toMatch(/^STATE\s+NAME\s+MODE\s+CLIENT$/);
  expect(table.stdout[2]).toMatch(new RegExp(`^held\\s+deploy\\s+exclusive\\s+locksfile\\[${holder.pid}\\]`));

  holder.send('done');
  expect(await waiter.takeLine()).toBe('ran');
  expect((await waiter.waitExit()).code).toBe(0);
  expect((await holder.waitExit()).code).toBe(0);
  expect(await names()).toMatchObject({ held: [], pending: [] });
});

test('shared holders run together; an exclusive request waits for all of them', async () => {
  const a = startCli(['name', '--registry', registry(), '-s', 'reports', '-c', 'echo a; read line']);
  const b = startCli(['name', '--registry', registry(), '-s', 'reports', '-c', 'echo b; read line']);
  expect(await a.takeLine()).toBe('a');
  expect(await b.takeLine()).toBe('b');
  expect((await runCli(['name', '--registry', registry(), '-n', 'reports', 'true'])).code).toBe(1);
  expect((await runCli(['name', '--registry', registry(), '-s', '-n', 'reports', 'true'])).code).toBe(0);
  a.send('done');
  await a.waitExit();
  expect((await runCli(['name', '--registry', registry(), '-n', 'reports', 'true'])).code).toBe(1);
  b.send('done');
  await b.waitExit();
  expect((await runCli(['name', '--registry', registry(), '-n', 'reports', 'true'])).code).toBe(0);
});

test('SIGTERM while waiting leaves the queue: exit 143, nothing pending', async () => {
  const holder = startCli(['name', '--registry', registry(), 'deploy', '-c', 'echo held; read line']);
  expect(await holder.takeLine()).toBe('held');
  const waiter = startCli(['name', '--registry', registry(), '--verbose', 'deploy', '--', 'echo', 'ran']);
  await stderrShows(waiter, 'waiting for');
  waiter.kill('SIGTERM');
  expect((await waiter.waitExit()).code).toBe(143);
  expect(waiter.pending).toEqual([]);
  expect((await names()).pending).toEqual([]);
});

test('status takes FILE or --names, not both or neither (64)', async () => {
  expect((await runCli(['status'])).code).toBe(64);
  expect((await runCli(['status', '--names', path.join(scratch(), 'f')])).code).toBe(64);
  expect((await runCli(['status', '--registry', registry(), path.join(scratch(), 'f')])).code).toBe(64);
});

test('several racing processes update a counter file exactly under one name', async () => {
  expect(await raceCounter(scratch(), ['name', '--registry', registry(), 'counter'])).toEqual({ codes: [0, 0, 0, 0], count: 20 });
});
