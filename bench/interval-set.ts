/**
 * Micro-benchmark of {@link IntervalSet}: the cost of one `set` + `clear` pair on a single free
 * index while 100, 10,000 and 100,000 disjoint segments `[2i, 2i + 1)` are held, as the median
 * of 5 repetitions, and the 100k/100 ratio.
 *
 * Two probe patterns: a random index anywhere (each pair lands on a cache-cold leaf, which is
 * what a big set mostly costs), and one of 16 fixed indices (the tree stays in cache, which
 * isolates the algorithmic O(log n) growth).
 *
 * Run: `npx tsc -p test/tsconfig.json && node test/.build/bench/interval-set.js`
 */
import { IntervalSet } from '../lib/ranges/interval-set';
import { Random } from '../test/helpers/random';

const SIZES = [100, 10_000, 100_000] as const;
const PAIRS = 200_000;
const REPS = 5;

/**
 * A set holding `held` write segments `[2i, 2i + 1)`, and a timed loop (ns per pair) of
 * set+clear pairs on odd, free indices `2k + 1` with `k` drawn from `pick`. A write set merges
 * three segments and its clear splits them again; a read set inserts one and its clear removes it.
 * Probes are computed inline rather than read from a precomputed array, which would stream
 * megabytes through the cache and unfairly evict the large sets.
 */
function fixture(held: number, pick: (rand: () => number, i: number) => number): () => number {
  const set = new IntervalSet();
  for (let i = 0; i < held; i++) set.set(2 * i, 2 * i + 1, true);
  return () => {
    const random = new Random(held); // seeded: every run probes the same indices
    const rand = (): number => random.next();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < PAIRS; i++) {
      const x = 2 * Math.min(held - 1, Math.floor(pick(rand, i) * held)) + 1;
      set.set(x, x + 1, (i & 1) === 0);
      set.clear(x, x + 1);
    }
    const ns = Number(process.hrtime.bigint() - t0) / PAIRS;
    if (set.size !== held) throw new Error(`bench corrupted the set: ${set.size} != ${held}`);
    return ns;
  };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const patterns: [string, (rand: () => number, i: number) => number][] = [
  ['random index (cache-cold leaf)', (rand) => rand()],
  ['one of 16 fixed indices (cache-warm)', (_rand, i) => ((i % 16) + 0.5) / 16],
];
for (const [name, pick] of patterns) {
  const runs = SIZES.map((held) => fixture(held, pick));
  for (const run of runs) run(); // warm-up (JIT)
  // Repetitions interleave the sizes, so background load skews them alike rather than one of them.
  const times: number[][] = SIZES.map(() => []);
  for (let r = 0; r < REPS; r++) runs.forEach((run, k) => times[k].push(run()));
  console.log(`set+clear pair, ${name}, median of ${REPS} x ${PAIRS} pairs:`);
  const ns = times.map(median);
  SIZES.forEach((held, k) => console.log(`  held ${String(held).padStart(7)}: ${ns[k].toFixed(1).padStart(7)} ns`));
  console.log(`  ratio 100k/100: ${(ns[2] / ns[0]).toFixed(2)}x`);
}
