/**
 * The multi-granularity key plan of PgLocksFile (pure functions, no server): canonical
 * blocks tile the interval exactly, and the number of advisory keys an interval holds stays
 * within the README's bound, whatever its count.
 */
import { acquireSteps, canonicalBlocks, holdingsOf, TOP_LEVEL } from '../../lib/postgres/blocks';
import { IntervalSet } from '../../lib/ranges/interval-set';
import { freshSeed, Random } from '../helpers/random';

/** README bound: at most 30 blocks per level the interval spans, plus one intention key per level above. */
function bound(count: number): number {
  const levels = Math.min(TOP_LEVEL, Math.floor(Math.log(count) / Math.log(16))) + 1;
  return 30 * levels + TOP_LEVEL * 2;
}

test('canonical blocks tile [start, end) exactly, each aligned to its size', () => {
  const seed = freshSeed();
  const rnd = new Random(seed);
  for (let round = 0; round < 500; round++) {
    const start = rnd.chance(0.5) ? rnd.int(1 << 30) : rnd.int(5000);
    const count = 1 + (rnd.chance(0.5) ? rnd.int(1 << 28) : rnd.int(3000));
    let at = start;
    for (const { level, block } of canonicalBlocks(start, start + count)) {
      const size = 16 ** level;
      expect(block * size).toBe(at);
      at += size;
    }
    if (at !== start + count) throw new Error(`seed ${seed}: [${start}, +${count}) tiled up to ${at}`);
  }
});

test('keys held per interval stay within 30 per level + 2 intentions per level above, for any count', () => {
  const seed = freshSeed();
  const rnd = new Random(seed);
  const cases: Array<[number, number]> = [
    [0, 1],
    [0, 1_000_000],
    [1, 999_998],
    [15, 16 ** 5 * 15 + 2],
    [0, 2 ** 53 - 1],
    [1, 2 ** 53 - 2],
  ];
  for (let i = 0; i < 300; i++) cases.push([rnd.int(2 ** 40), 1 + rnd.int(2 ** (1 + rnd.int(44)))]);
  for (const [start, count] of cases) {
    const keys = holdingsOf([{ start, end: start + count, write: true }]).size;
    if (keys > bound(count)) throw new Error(`seed ${seed}: [${start}, +${count}) holds ${keys} keys > ${bound(count)}`);
  }
  expect(holdingsOf([{ start: 0, end: 1_000_000, write: true }]).size).toBeLessThanOrEqual(40);
  expect(holdingsOf([{ start: 42, end: 43, write: false }]).size).toBe(TOP_LEVEL + 1);
});

test('every change of holdings takes its keys in the one global order (no deadlock between requests)', () => {
  const seed = freshSeed();
  const rnd = new Random(seed);
  const rank = (e: { level: number; block: number; kind: string }): [number, number, number] => [-e.level, e.block, 'grw'.indexOf(e.kind)];
  const before = (a: [number, number, number], b: [number, number, number]): boolean =>
    a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])));
  for (let round = 0; round < 300; round++) {
    const held = new IntervalSet();
    for (let k = rnd.int(4); k > 0; k--) {
      const start = rnd.int(600);
      held.set(start, start + 1 + rnd.int(300), rnd.chance(0.5));
    }
    const from = holdingsOf(held.segments());
    // A conversion in the middle of a held range: new read and write parts under one block.
    const start = rnd.int(600);
    held.set(start, start + 1 + rnd.int(300), rnd.chance(0.5));
    const steps = acquireSteps(from, holdingsOf(held.segments())).filter((step) => !step.unlock);
    for (let j = 1; j < steps.length; j++) {
      const a = rank(steps[j - 1].entry);
      const b = rank(steps[j].entry);
      if (before(b, a)) throw new Error(`seed ${seed} round ${round}: key ${b.join('/')} taken after ${a.join('/')}`);
    }
  }
  // The case that once broke the order: read and write parts entering one block together.
  const mixed = acquireSteps(
    new Map(),
    holdingsOf([
      { start: 0, end: 1, write: false },
      { start: 1, end: 2, write: true },
    ]),
  );
  const level1 = mixed.filter((s) => s.entry.level === 1).map((s) => `${s.unlock ? 'un' : ''}${s.entry.kind}${s.entry.exclusive ? 'X' : 'S'}`);
  expect(level1).toEqual(['gX', 'rS', 'wS', 'ungX']);
});
