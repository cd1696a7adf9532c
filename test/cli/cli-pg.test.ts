/**
 * `--pg URL` (or LOCKSFILE_PG_URL): the FILE form on a PgLocksFile space and the `name` form on
 * a PgLockManager, against the throwaway PostgreSQL server of the jest global setup.
 */
import { randomUUID } from 'node:crypto';
import { raceCounter, runCli, startCli, stderrShows } from '../helpers/cli';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-pg-');

function serverUrl(): string {
  const url = process.env.LOCKSFILE_PG_URL;
  if (url === undefined || url === '') throw new Error('LOCKSFILE_PG_URL is not set: the jest global setup did not start PostgreSQL');
  return url;
}

test('FILE form: a holder on an index of a space excludes -n, -w and LOCKSFILE_PG_URL users of that index only', async () => {
  const url = serverUrl();
  const space = `cli-${randomUUID()}`;
  const holder = startCli(['--pg', url, '-i', '3', space, '-c', 'echo held; read line']);
  expect(await holder.takeLine()).toBe('held');
  expect((await runCli(['--pg', url, '-n', '-i', '3', space, 'true'])).code).toBe(1);
  expect((await runCli(['-n', '-i', '3', space, 'true'], { LOCKSFILE_PG_URL: url })).code).toBe(1);
  expect((await runCli(['--pg', url, '-n', '-i', '4', space, 'true'])).code).toBe(0);
  expect((await runCli(['--pg', url, '-n', '-i', '3', `other-${space}`, 'true'])).code).toBe(0);
  const timed = await runCli(['--pg', url, '--verbose', '-w', '0.3', '-E', '6', '-i', '3', space, 'true']);
  expect(timed.code).toBe(6);
  expect(timed.stderr).toMatch(/held by an exclusive lock of server session pid \d+/);
  const waiter = startCli(['--pg', url, '-i', '3', space, '--', 'echo', 'ran']);
  holder.send('done');
  expect(await waiter.takeLine()).toBe('ran');
  expect((await waiter.waitExit()).code).toBe(0);
  expect((await holder.waitExit()).code).toBe(0);
  expect((await runCli(['--pg', url, '-n', '-i', '3', space, 'true'])).code).toBe(0);
});

test('FILE form: shared holders go together, exclusive ones wait', async () => {
  const url = serverUrl();
  const space = `cli-${randomUUID()}`;
  const reader = startCli(['--pg', url, '-s', space, '-c', 'echo reading; read line']);
  expect(await reader.takeLine()).toBe('reading');
  expect((await runCli(['--pg', url, '-s', '-n', space, 'true'])).code).toBe(0);
  expect((await runCli(['--pg', url, '-n', space, 'true'])).code).toBe(1);
  reader.send('done');
  expect((await reader.waitExit()).code).toBe(0);
});

test('name form and status --names: holder, waiter and queue on PostgreSQL', async () => {
  const url = serverUrl();
  const namespace = `cli-${randomUUID()}`;
  const pg = ['--pg', url, '--namespace', namespace];
  const holder = startCli(['name', ...pg, 'deploy', '-c', 'echo held; read line']);
  expect(await holder.takeLine()).toBe('held');
  expect((await runCli(['name', ...pg, '-n', 'deploy', 'true'])).code).toBe(1);
  expect((await runCli(['name', '--pg', url, '-n', 'deploy', 'true'])).code).toBe(0); // another namespace
  const waiter = startCli(['name', ...pg, '--verbose', '-s', 'deploy', '--', 'echo', 'ran']);
  await stderrShows(waiter, `held by locksfile[${holder.pid}]`);

  const status = await runCli(['status', '--names', ...pg, '--json']);
  expect(status.code).toBe(0);
  const report = JSON.parse(status.stdout.join('\n')) as { namespace: string; held: unknown[]; pending: unknown[] };
  expect(report.namespace).toContain(namespace);
  expect(report.held).toEqual([
    { name: 'deploy', mode: 'exclusive', clientId: expect.stringMatching(new RegExp(`^locksfile\\[${holder.pid}\\] .*read line$`)) },
  ]);
  expect(report.pending).toEqual([{ name: 'deploy', mode: 'shared', clientId: `locksfile[${waiter.pid}] echo ran` }]);

  holder.send('done');
  expect(await waiter.takeLine()).toBe('ran');
  expect((await waiter.waitExit()).code).toBe(0);
  expect((await holder.waitExit()).code).toBe(0);
});

test('several racing processes update a counter exactly under one index of a space', async () => {
  expect(await raceCounter(scratch(), ['--pg', serverUrl(), '-i', '9', `cli-${randomUUID()}`])).toEqual({ codes: [0, 0, 0, 0], count: 20 });
});

test('several racing processes update a counter exactly under one PgLockManager name', async () => {
  expect(await raceCounter(scratch(), ['name', '--pg', serverUrl(), '--namespace', `cli-${randomUUID()}`, 'counter'])).toEqual({
    codes: [0, 0, 0, 0],
    count: 20,
  });
});

test('an unreachable server is exit 69; status FILE with --pg and --namespace without --pg are usage errors (64)', async () => {
  const down = await runCli(['--pg', 'postgres://nobody:secret@127.0.0.1:1/none', '-n', 'space', 'true']);
  expect(down.code).toBe(69);
  expect(down.stderr).toContain('cannot connect to postgres://nobody:***@127.0.0.1:1/none');
  expect(down.stderr).not.toContain('secret');
  expect((await runCli(['status', '--pg', serverUrl(), 'some.lock'])).code).toBe(64);
  expect((await runCli(['name', '--namespace', 'x', 'n', 'true'])).code).toBe(64);
});
