/**
 * The examples run and do what their output says: `npm run demo`'s program (default 4 x
 * 2,000, locked total exact, exit 0), the quick start, the async tour, and two copies of
 * the "several terminals" example at once.
 */
import * as path from 'node:path';
import { type LineChild, spawnNode } from '../helpers/children';
import { useScratchDir } from '../helpers/scratch';
import { ROOT } from '../helpers/paths';

const RUN_BOUND_MS = 60_000;

function example(name: string): string {
  return path.join(ROOT, 'test', '.build', 'examples', `${name}.js`);
}

/** Runs a child to its end; returns its stdout lines. */
async function output(child: LineChild): Promise<string[]> {
  const exit = await child.waitExit(RUN_BOUND_MS);
  const lines: string[] = [];
  for (;;) {
    try {
      lines.push(await child.takeLine(undefined, 1));
    } catch {
      break;
    }
  }
  expect({ exit, stderr: child.stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
  return lines;
}

const scratch = useScratchDir();

test('demo: 4 processes x 2,000 increments, the locked total is exact, exit 0', async () => {
  const lines = await output(spawnNode(example('demo')));
  expect(lines[0]).toBe('4 processes x 2000 increments of one counter file (expected total 8000)');
  expect(lines[1]).toMatch(/^ {2}without locking: +\d+ {2}\(\d+ increments lost\)$/);
  expect(lines[2]).toMatch(/^ {2}with LocksFile write locks: +8000 {2}\(exact\)$/);
  const unlocked = Number(/(\d+) {2}\(/.exec(lines[1] ?? '')?.[1]);
  expect(unlocked).toBeGreaterThan(0);
  expect(unlocked).toBeLessThanOrEqual(8000);
});

test('demo honours --processes and --increments', async () => {
  const lines = await output(spawnNode(example('demo'), ['--processes', '2', '--increments', '300']));
  expect(lines[0]).toBe('2 processes x 300 increments of one counter file (expected total 600)');
  expect(lines[2]).toMatch(/ 600 {2}\(exact\)$/);
});

test('quick-start runs through every step and ends holding nothing', async () => {
  const lines = await output(spawnNode(example('quick-start'), [path.join(scratch(), 'qs.lock')]));
  expect(lines).toContain('write lock 10 without waiting: acquired');
  expect(lines).toContain('probe write 0-99: null');
  expect(lines.find((l) => l.startsWith('lock 2 converted to read'))).toContain('{"start":2,"count":1,"write":false}');
  expect(lines.find((l) => l.startsWith('inside `using`'))).toContain('{"start":5,"count":1,"write":true}');
  expect(lines.find((l) => l.startsWith('after the block'))).not.toContain('"start":5');
  expect(lines.find((l) => l.startsWith('after releasing 0 and 2-999'))).toMatch(/held: \[\{"start":1,"count":1,"write":true\}\]$/);
  expect(lines[lines.length - 1]).toMatch(/^after release\(\) +held: \[\]$/);
});

test('async tour: waits, times out, aborts, withLock and await using', async () => {
  const lines = await output(spawnNode(example('async'), [path.join(scratch(), 'async.lock')]));
  expect(lines.some((l) => /^bob got lock 7 after \d+ ms$/.test(l))).toBe(true);
  expect(lines).toEqual(
    expect.arrayContaining([
      'alice, read lock 7 within 30 ms: false',
      'alice.lock: ERR_LOCK_TIMEOUT',
      'alice.lock without waiting: ERR_LOCK_BUSY',
      "alice's wait aborted: AbortError (user gave up)",
      'withLock returned 40; alice holds []',
      'bob holds [{"start":0,"count":4,"write":false}]',
      'after the block bob holds []',
    ]),
  );
});

test('terminals: two copies at once both finish all their rounds', async () => {
  const args = ['--rounds', '3', '--hold-ms', '20', '--lock', path.join(scratch(), 'terminals.lock')];
  const children = [spawnNode(example('terminals'), args), spawnNode(example('terminals'), args)];
  const outputs = await Promise.all(children.map(output));
  for (const [i, lines] of outputs.entries()) {
    const pid = children[i]?.pid;
    expect(lines.filter((l) => l.startsWith(`[${pid}] holding lock 0`))).toHaveLength(3);
    expect(lines.filter((l) => l === `[${pid}] released lock 0`)).toHaveLength(3);
  }
});
