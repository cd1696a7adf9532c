/**
 * `locksfile status FILE [--json]` while real holders and waiters exist: OFD holders (whose
 * pid /proc/locks hides) found through their fdinfo, OFD waiters found through their blocked
 * system call, POSIX holders and waiters (python3 `fcntl.lockf`) through /proc/locks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pythonHolder, pythonLocker, runCli, startCli, stderrShows } from '../helpers/cli';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-status-');

interface Entry {
  state: string;
  start: number;
  count: number | null;
  mode: string;
  type: string;
  processes: Array<{ pid: number; command: string | null; startedAt: string | null }>;
  waitingSince: string | null;
}

/** Polls `status --json` until `ready` accepts its entries (processes need a moment to block). */
async function statusWhen(file: string, ready: (locks: Entry[]) => boolean): Promise<{ file: string; locks: Entry[]; notes: string[] }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await runCli(['status', '--json', file]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.join('\n')) as { file: string; locks: Entry[]; notes: string[] };
    if (ready(report.locks) || Date.now() > deadline) return report;
  }
}

test('--json names every holder and waiter: OFD ones by fdinfo and blocked syscall, POSIX ones by /proc/locks', async () => {
  const file = path.join(scratch(), 'status.lock');
  const cliHolder = startCli([file, '-c', 'echo held; read line']);
  expect(await cliHolder.takeLine()).toBe('held');
  const cliWaiter = startCli(['--verbose', file, '--', 'echo', 'ran']);
  await stderrShows(cliWaiter, 'waiting for');
  const pyHolder = await pythonHolder(file, 2, 3, 'write');
  const pyWaiter = pythonLocker(file, 3, 1, 'read');

  const report = await statusWhen(file, (locks) => locks.length === 4);
  expect(report.file).toBe(file);
  const byKey = (state: string, start: number): Entry | undefined => report.locks.find((e) => e.state === state && e.start === start);

  expect(byKey('held', 0)).toMatchObject({ count: 1, mode: 'exclusive', type: 'ofd', waitingSince: null });
  expect(byKey('held', 0)?.processes.map((p) => p.pid)).toEqual([cliHolder.pid]);
  expect(byKey('held', 0)?.processes[0]?.command).toContain('read line');

  const waiting = byKey('waiting', 0);
  expect(waiting).toMatchObject({ count: 1, mode: 'exclusive', type: 'ofd' });
  expect(waiting?.processes.map((p) => p.pid)).toEqual([cliWaiter.pid]);
  expect(waiting?.waitingSince).toBe(waiting?.processes[0]?.startedAt);
  expect(Date.parse(waiting?.waitingSince ?? '')).toBeGreaterThan(Date.now() - 60_000);

  expect(byKey('held', 2)).toMatchObject({ count: 3, mode: 'exclusive', type: 'posix' });
  expect(byKey('held', 2)?.processes.map((p) => p.pid)).toEqual([pyHolder.pid]);
  expect(byKey('waiting', 3)).toMatchObject({ count: 1, mode: 'shared', type: 'posix', waitingSince: null });
  expect(byKey('waiting', 3)?.processes.map((p) => p.pid)).toEqual([pyWaiter.pid]);
  expect(report.notes.join('\n')).toContain('records no time');

  // The table shows the same, lslocks-like.
  const table = await runCli(['status', file]);
  expect(table.code).toBe(0);
  expect(table.stdout[1]).toMatch(/^STATE\s+RANGE\s+MODE\s+TYPE\s+PID\s+SINCE\s+COMMAND$/);
  expect(table.stdout.find((l) => l.startsWith('held') && l.includes(String(cliHolder.pid)))).toMatch(/^held\s+0\s+exclusive\s+ofd\s+/);
  expect(table.stdout.find((l) => l.startsWith('held') && l.includes(String(pyHolder.pid)))).toMatch(/^held\s+2\.\.4\s+exclusive\s+posix\s+/);

  // Once everyone is gone, nothing is listed.
  cliHolder.send('go');
  expect(await cliWaiter.takeLine()).toBe('ran');
  pyHolder.endInput();
  await pyWaiter.takeLine((l) => l === 'locked');
  pyWaiter.endInput();
  await Promise.all([cliHolder.waitExit(), cliWaiter.waitExit(), pyHolder.waitExit(), pyWaiter.waitExit()]);
  expect((await statusWhen(file, () => true)).locks).toEqual([]);
});

test('a lock file that does not exist is exit 66; a file without locks says so', async () => {
  const missing = await runCli(['status', path.join(scratch(), 'none.lock')]);
  expect(missing.code).toBe(66);
  const file = path.join(scratch(), 'quiet.lock');
  fs.writeFileSync(file, '');
  const quiet = await runCli(['status', file]);
  expect(quiet).toMatchObject({ code: 0 });
  expect(quiet.stdout[1]).toBe('no locks');
});

test('two identical shared OFD locks are listed once each, each with its own holder', async () => {
  const file = path.join(scratch(), 'shared.lock');
  const a = startCli(['-s', file, '-c', 'echo a; read line']);
  const b = startCli(['-s', file, '-c', 'echo b; read line']);
  expect(await a.takeLine()).toBe('a');
  expect(await b.takeLine()).toBe('b');
  const report = await statusWhen(file, (locks) => locks.length === 2);
  expect(report.locks.map((e) => [e.state, e.start, e.mode, e.type])).toEqual([
    ['held', 0, 'shared', 'ofd'],
    ['held', 0, 'shared', 'ofd'],
  ]);
  expect(report.locks.flatMap((e) => e.processes.map((p) => p.pid)).sort()).toEqual([a.pid, b.pid].sort());
});
