/**
 * examples/web-locks.ts does what it says: two copies at once hold "report" in turns, never
 * both at the same time, and both finish.
 */
import * as path from 'node:path';
import { type LineChild, spawnNode } from '../helpers/children';
import { ROOT } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-lm-');
const ROUNDS = 3;

/** The [holding, releasing] times a copy printed, in order. */
async function holds(child: LineChild): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const holding = /holding report at (\d+)/.exec(await child.takeLine());
    const releasing = /releasing at (\d+)/.exec(await child.takeLine());
    out.push([Number(holding?.[1]), Number(releasing?.[1])]);
  }
  expect(await child.waitExit()).toEqual({ code: 0, signal: null });
  return out;
}

test('two copies of the example take turns on the lock', async () => {
  const script = path.join(ROOT, 'test', '.build', 'examples', 'web-locks.js');
  const args = ['--rounds', String(ROUNDS), '--hold-ms', '100', '--path', path.join(scratch(), 'ns.locks')];
  const [a, b] = await Promise.all([holds(spawnNode(script, args)), holds(spawnNode(script, args))]);
  const all = [...(a ?? []), ...(b ?? [])].sort((x, y) => x[0] - y[0]);
  expect(all).toHaveLength(2 * ROUNDS);
  for (let i = 1; i < all.length; i++) expect(all[i][0]).toBeGreaterThanOrEqual(all[i - 1][1]);
});
