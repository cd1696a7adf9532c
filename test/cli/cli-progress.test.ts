/**
 * `--verbose` progress on stderr: plain lines when stderr is a pipe (one when the wait starts,
 * one when the holders change, one when it ends), a line rewritten in place on a terminal
 * (run under util-linux `script`, which gives the tool a pseudo-terminal).
 */
import * as path from 'node:path';
import { LineChild } from '../helpers/children';
import { CLI, cliEnv, pythonHolder, startCli, stderrShows } from '../helpers/cli';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-progress-');

test('without a terminal: plain lines naming every holder, a line when they change, the time waited', async () => {
  const file = path.join(scratch(), 'p.lock');
  const writer = await pythonHolder(file, 0, 1, 'write');
  const reader = await pythonHolder(file, 1, 1, 'read');
  const waiter = startCli(['--verbose', '--start', '0', '--length', '2', file, '--', 'echo', 'ran']);
  await stderrShows(waiter, `waiting for ${file} indices 0..1 (exclusive), held by an exclusive lock on index 0 of pid ${writer.pid}`);
  expect(waiter.stderr).toContain(`a shared lock on index 1 of pid ${reader.pid}`);
  writer.endInput();
  await stderrShows(waiter, `now held by a shared lock on index 1 of pid ${reader.pid}`);
  reader.endInput();
  expect(await waiter.takeLine()).toBe('ran');
  expect((await waiter.waitExit()).code).toBe(0);
  expect(waiter.stderr).toMatch(/got the lock after \d+\.\d{3} s\nlocksfile: executing echo ran\n$/);
  expect(waiter.stderr).not.toContain('\r');
});

test('on a terminal: one line redrawn in place with the elapsed time, then the outcome', async () => {
  const file = path.join(scratch(), 't.lock');
  const holder = await pythonHolder(file, 0, 1, 'write');
  const command = [process.execPath, CLI, '--verbose', '-w', '1.2', file, 'true'].join(' ');
  const tty = new LineChild('script', ['-qec', command, '/dev/null'], { env: cliEnv() });
  tty.endInput();
  expect((await tty.waitExit()).code).toBe(1);
  const output = tty.pending.join('\n');
  const redraws = [...output.matchAll(/\r\x1b\[Klocksfile: waiting (\d+\.\d) s for .* held by an exclusive lock on index 0 of pid (\d+)/g)];
  expect(redraws.length).toBeGreaterThanOrEqual(3);
  expect(redraws.every((m) => Number(m[2]) === holder.pid)).toBe(true);
  const elapsed = redraws.map((m) => Number(m[1]));
  expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
  expect(output).toMatch(/\r\x1b\[Klocksfile: timed out after 1\.\d{3} s/);
});

test('on a narrow terminal the in-place line is cut to its width, so it never wraps', async () => {
  const file = path.join(scratch(), 'n.lock');
  await pythonHolder(file, 0, 1, 'write');
  const command = `stty cols 50; ${[process.execPath, CLI, '--verbose', '-w', '0.8', file, 'true'].join(' ')}`;
  const tty = new LineChild('script', ['-qec', command, '/dev/null'], { env: cliEnv() });
  tty.endInput();
  expect((await tty.waitExit()).code).toBe(1);
  const redraws = tty.pending
    .join('\n')
    .split('\r\x1b[K')
    .filter((t) => t.startsWith('locksfile: waiting'));
  expect(redraws.length).toBeGreaterThanOrEqual(2);
  for (const line of redraws) expect(line.length).toBeLessThanOrEqual(49);
});
