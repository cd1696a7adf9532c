/**
 * `locksfile FILE -- COMMAND` as a real command in child processes, against a python3
 * `fcntl.lockf` holder and against other `locksfile` processes: exit statuses (the command's
 * own, the conflict code, sysexits for usage and system errors), -n/-w conflicts, shared vs
 * exclusive, ranges, and exact exclusion of a shared counter.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { pythonHolder, raceCounter, runCli, startCli, stderrShows } from '../helpers/cli';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-');
const lockFile = (): string => path.join(scratch(), 'cli.lock');

/** Whether another owner could take `spec` in `write` mode now (nothing left held). */
function isFree(file: string, spec: number | [number, number], write = true): boolean {
  using lf = new LocksFile(file);
  return lf.probe(spec, { write }) === null;
}

describe('exit status', () => {
  test('is the command status, with COMMAND ARGS and with -c', async () => {
    const direct = await runCli([lockFile(), '--', 'sh', '-c', 'echo ran; exit 7']);
    expect(direct).toMatchObject({ code: 7, stdout: ['ran'] });
    expect((await runCli([lockFile(), '-c', 'exit 5'])).code).toBe(5);
    expect((await runCli(['-c', 'echo "$0"', lockFile()])).stdout).toEqual([process.env.SHELL || '/bin/sh']);
    expect((await runCli([lockFile(), 'true'])).code).toBe(0);
  });

  test('is 128 + n when signal n killed the command', async () => {
    expect((await runCli([lockFile(), '--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
  });

  test.each([
    [['--bogus', 'f', 'true'], 'unknown option'],
    [['f'], 'no command to run'],
    [['f', 'ls', '-l'], "unknown option '-l'"],
    [['f', '-c', 'true', 'true'], '-c and COMMAND'],
    [['-w', 'soon', 'f', 'true'], 'expected seconds'],
    [['-w', '-1', 'f', 'true'], 'expected seconds'],
    [['-E', '256', 'f', 'true'], 'expected an integer from 0 to 255'],
    [['-i', '1.5', 'f', 'true'], 'expected an integer'],
    [['-i', '1', '--start', '2', 'f', 'true'], 'cannot be used with'],
    [['-s', '-x', 'f', 'true'], 'cannot be used with'],
    [['-n', '-w', '1', 'f', 'true'], 'cannot be used with'],
    [['--length', '0', 'f', 'true'], 'expected an integer from 1'],
    [['shm', '-s', 'name', 'true'], 'mutex'],
    [['shm', 'a/b', 'true'], 'name'],
  ])('is 64 (EX_USAGE) for %j', async (args, message) => {
    const result = await runCli(args.map((a) => (a === 'f' ? lockFile() : a)));
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(message);
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  test('is 0 for --help and --version, which print on stdout', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.join('\n')).toContain('--conflict-exit-code');
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: [JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version] });
  });

  test('is 66 (EX_NOINPUT) when the lock file cannot be opened, 69 (EX_UNAVAILABLE) when the command cannot run', async () => {
    const noDir = await runCli([path.join(scratch(), 'missing', 'x.lock'), 'true']);
    expect(noDir.code).toBe(66);
    expect(noDir.stderr).toContain('does not exist');
    expect((await runCli([scratch(), 'true'])).code).toBe(66); // a directory is no lock file
    const noCommand = await runCli([lockFile(), 'no-such-command-locksfile']);
    expect(noCommand.code).toBe(69);
    expect(noCommand.stderr).toContain('failed to execute no-such-command-locksfile');
    expect(isFree(lockFile(), 0)).toBe(true);
  });
});

describe('conflicts with a python3 fcntl.lockf holder', () => {
  test('-n gives up at once with 1, or with the -E code; the command does not run', async () => {
    const py = await pythonHolder(lockFile(), 0, 1, 'write');
    const busy = await runCli(['-n', lockFile(), '--', 'echo', 'ran']);
    expect(busy).toMatchObject({ code: 1, stdout: [] });
    expect((await runCli(['-n', '-E', '42', lockFile(), 'true'])).code).toBe(42);
    expect((await runCli(['-w', '0', lockFile(), 'true'])).code).toBe(1);
    py.endInput();
    await py.waitExit();
    expect(await runCli(['-n', lockFile(), '--', 'echo', 'ran'])).toMatchObject({ code: 0, stdout: ['ran'] });
  });

  test('-w SECONDS waits that long (fractions allowed), then exits with the conflict code', async () => {
    await pythonHolder(lockFile(), 0, 1, 'write');
    const started = performance.now();
    const result = await runCli(['-w', '0.4', '-E', '3', lockFile(), 'true']);
    const took = performance.now() - started;
    expect(result.code).toBe(3);
    expect(took).toBeGreaterThanOrEqual(400);
    expect(took).toBeLessThan(10_000);
  });

  test('a blocking wait runs the command as soon as the holder lets go', async () => {
    const py = await pythonHolder(lockFile(), 0, 1, 'write');
    const waiter = startCli(['--verbose', lockFile(), '--', 'echo', 'ran']);
    await stderrShows(waiter, `held by an exclusive lock on index 0 of pid ${py.pid}`);
    expect(waiter.pending).toEqual([]);
    py.endInput();
    expect(await waiter.takeLine()).toBe('ran');
    expect((await waiter.waitExit()).code).toBe(0);
    expect(waiter.stderr).toMatch(/got the lock after \d+\.\d{3} s/);
  });

  test('shared locks go together, exclusive ones do not', async () => {
    await pythonHolder(lockFile(), 0, 1, 'read');
    expect((await runCli(['-s', '-n', lockFile(), 'true'])).code).toBe(0);
    expect((await runCli(['-x', '-n', lockFile(), 'true'])).code).toBe(1);
    expect((await runCli(['-n', lockFile(), 'true'])).code).toBe(1); // exclusive is the default
  });

  test('-i and --start/--length choose the indices; only overlaps conflict', async () => {
    await pythonHolder(lockFile(), 5, 3, 'write'); // indices 5, 6, 7
    expect((await runCli(['-n', lockFile(), 'true'])).code).toBe(0); // index 0
    expect((await runCli(['-n', '-i', '4', lockFile(), 'true'])).code).toBe(0);
    expect((await runCli(['-n', '-i', '6', lockFile(), 'true'])).code).toBe(1);
    expect((await runCli(['-n', '--start', '8', '--length', '10', lockFile(), 'true'])).code).toBe(0);
    expect((await runCli(['-n', '--start', '0', '--length', '6', lockFile(), 'true'])).code).toBe(1);
    expect((await runCli(['-n', '--start', '7', lockFile(), 'true'])).code).toBe(1);
  });
});

describe('between locksfile processes', () => {
  test('a holder excludes another until its command ends, then the lock is free', async () => {
    const holder = startCli([lockFile(), '-c', 'echo held; read line']);
    expect(await holder.takeLine()).toBe('held');
    const busy = await runCli(['-n', '--verbose', lockFile(), 'true']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`of pid ${holder.pid}`);
    expect(isFree(lockFile(), 0)).toBe(false);
    holder.send('done');
    expect((await holder.waitExit()).code).toBe(0);
    expect(isFree(lockFile(), 0)).toBe(true);
    expect((await runCli(['-n', lockFile(), 'true'])).code).toBe(0);
  });

  test('several racing processes update a counter file exactly', async () => {
    expect(await raceCounter(scratch(), [lockFile()])).toEqual({ codes: [0, 0, 0, 0], count: 20 });
  });
});
