/**
 * IntervalSet: property tests against a naive per-index model, hand-written examples, and a
 * loose scale check that catches accidental O(n) updates (precise figures: bench/interval-set.ts).
 */
import fc from 'fast-check';
import { IntervalSet, type Segment } from '../../lib/ranges/interval-set';
import { Random } from '../helpers/random';

/** Naive reference: one entry per held index (true: write, false: read). */
class Model {
  readonly held = new Map<number, boolean>();

  /** `universe`: every index any operation may touch, sorted ascending. */
  constructor(private readonly universe: readonly number[]) {}

  set(start: number, end: number, write: boolean): void {
    for (let i = start; i < end; i++) this.held.set(i, write);
  }

  clear(start: number, end: number): void {
    for (let i = start; i < end; i++) this.held.delete(i);
  }

  /** Maximal same-mode runs of the indices in `[start, end)`, sorted. */
  runs(start = 0, end = Number.MAX_SAFE_INTEGER): Segment[] {
    const out: { start: number; end: number; write: boolean }[] = [];
    for (const i of this.universe) {
      if (i < start || i >= end) continue;
      const write = this.held.get(i);
      if (write === undefined) continue;
      const last = out[out.length - 1];
      if (last && last.end === i && last.write === write) last.end = i + 1;
      else out.push({ start: i, end: i + 1, write });
    }
    return out;
  }
}

type Op =
  | { readonly kind: 'set'; readonly start: number; readonly end: number; readonly write: boolean }
  | { readonly kind: 'clear'; readonly start: number; readonly end: number }
  | { readonly kind: 'clearAll' }
  | { readonly kind: 'peek'; readonly start: number; readonly end: number };

/** `[start, end)` inside `[base, base + span)`, mostly short so that many segments coexist. */
function range(base: number, span: number, maxLen: number): fc.Arbitrary<{ start: number; end: number }> {
  return fc
    .tuple(fc.integer({ min: 0, max: span - 1 }), fc.integer({ min: 1, max: maxLen }))
    .map(([off, len]) => ({ start: base + off, end: base + Math.min(span, off + len) }));
}

function ops(bases: readonly number[], span: number, maxLen: number, clearAllWeight: number): fc.Arbitrary<Op> {
  const r = fc.constantFrom(...bases).chain((b) => range(b, span, maxLen));
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(r, fc.boolean()).map(([x, write]): Op => ({ kind: 'set', ...x, write })) },
    { weight: 3, arbitrary: r.map((x): Op => ({ kind: 'clear', ...x })) },
    { weight: 2, arbitrary: r.map((x): Op => ({ kind: 'peek', ...x })) },
    { weight: clearAllWeight, arbitrary: fc.constant<Op>({ kind: 'clearAll' }) },
  );
}

/** Applies `op` to both, then compares everything observable. */
function step(set: IntervalSet, model: Model, op: Op): void {
  switch (op.kind) {
    case 'set':
      set.set(op.start, op.end, op.write);
      model.set(op.start, op.end, op.write);
      break;
    case 'clear':
      set.clear(op.start, op.end);
      model.clear(op.start, op.end);
      break;
    case 'clearAll':
      set.clearAll();
      model.held.clear();
      break;
    case 'peek':
      expectSame(set.segments(op.start, op.end), model.runs(op.start, op.end));
      return;
  }
  const all = model.runs();
  const got = set.segments();
  expectSame(got, all);
  if (set.size !== all.length) expect(set.size).toBe(all.length);
  // Redundant with the model (its runs are maximal by construction), but states the contract.
  for (let i = 1; i < got.length; i++) {
    const [a, b] = [got[i - 1], got[i]];
    if (!(a.start < a.end && a.end <= b.start && (a.end < b.start || a.write !== b.write))) {
      throw new Error(`not sorted, disjoint and maximal: ${JSON.stringify([a, b])}`);
    }
  }
}

/** `expect(got).toEqual(want)`, but only paying for jest's deep equality when they differ. */
function expectSame(got: readonly Segment[], want: readonly Segment[]): void {
  if (!same(got, want)) expect(got).toEqual(want);
}

function same(a: readonly Segment[], b: readonly Segment[]): boolean {
  return a.length === b.length && a.every((x, i) => x.start === b[i].start && x.end === b[i].end && x.write === b[i].write);
}

function span(base: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => base + i);
}

/** Highest 64 indices whose ranges still end at a safe integer. */
const HIGH = Number.MAX_SAFE_INTEGER - 64;

describe('IntervalSet matches a per-index model', () => {
  test('small universe 0..63 and 64 indices just below 2^53', () => {
    const model = () => new Model([...span(0, 64), ...span(HIGH, 64)]);
    fc.assert(
      fc.property(fc.array(ops([0, HIGH], 64, 64, 1), { maxLength: 60 }), (seq) => {
        const set = new IntervalSet();
        const m = model();
        for (const op of seq) step(set, m, op);
      }),
      { numRuns: 400 },
    );
  });

  test('a few hundred segments, operations dense around leaf boundaries', () => {
    const U = 400;
    fc.assert(
      fc.property(fc.boolean(), fc.array(ops([0], U, 6, 0), { minLength: 50, maxLength: 200 }), (alternate, seq) => {
        const set = new IntervalSet();
        const m = new Model(span(0, U));
        for (let i = 0; i < U; i += 2) {
          set.set(i, i + 1, alternate ? i % 4 === 0 : true);
          m.set(i, i + 1, alternate ? i % 4 === 0 : true);
        }
        for (const op of seq) step(set, m, op);
      }),
      { numRuns: 60 },
    );
  });

  test('single indices rewritten inside a dense run of adjacent segments (removals that reshape the tree, a neighbour at both ends)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1500, max: 4000 }), (seed, n) => {
        const random = new Random(seed);
        const set = new IntervalSet();
        const m = new Model(span(0, n));
        // Adjacent single-index segments of alternating mode: none merges, each has neighbours.
        for (let i = 0; i < n; i++) {
          set.set(i, i + 1, i % 2 === 0);
          m.set(i, i + 1, i % 2 === 0);
        }
        // Compared in windows around each operation and in full at intervals (a full compare per operation is O(n)).
        for (let j = 0; j < 2 * n; j++) {
          const k = Math.floor(random.next() * n);
          const pick = random.next();
          const end = pick < 0.9 ? k + 1 : Math.min(n, k + 3);
          if (pick >= 0.45 && pick < 0.9) {
            set.clear(k, end);
            m.clear(k, end);
          } else {
            set.set(k, end, pick < 0.2 || pick > 0.95);
            m.set(k, end, pick < 0.2 || pick > 0.95);
          }
          step(set, m, { kind: 'peek', start: Math.max(0, k - 2), end: end + 2 });
          if (j % 500 === 0) step(set, m, { kind: 'peek', start: 0, end: n });
        }
        step(set, m, { kind: 'peek', start: 0, end: n });
        expect(set.size).toBe(m.runs().length);
      }),
      { numRuns: 10 },
    );
  });

  test('isolated segments added and removed in random order (splits and joins anywhere in the tree)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 500, max: 4000 }), (seed, n) => {
        const random = new Random(seed);
        const rand = (): number => random.next();
        const shuffled = (): number[] => {
          const a = span(0, n);
          for (let i = n - 1; i > 0; i--) {
            const j = Math.floor(rand() * (i + 1));
            [a[i], a[j]] = [a[j], a[i]];
          }
          return a;
        };
        const set = new IntervalSet();
        const m = new Model(span(0, 2 * n));
        const check = (): void => {
          const a = Math.floor(rand() * 2 * n);
          step(set, m, { kind: 'peek', start: a, end: a + 1 + Math.floor(rand() * 200) });
        };
        for (const [j, k] of shuffled().entries()) {
          set.set(2 * k, 2 * k + 1, k % 3 === 0);
          m.set(2 * k, 2 * k + 1, k % 3 === 0);
          if (j % 50 === 0) check();
        }
        step(set, m, { kind: 'peek', start: 0, end: 2 * n });
        expect(set.size).toBe(n);
        for (const [j, k] of shuffled().entries()) {
          set.clear(2 * k, 2 * k + 1);
          m.clear(2 * k, 2 * k + 1);
          if (j % 50 === 0) check();
        }
        expect(set.size).toBe(0);
        expect(set.segments()).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });

  test('thousands of segments (multi-level tree: splits, joins, root growth and collapse)', () => {
    const U = 8_000;
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.array(ops([0], U, 40, 0), { maxLength: 120 }),
        fc.array(range(0, U, U), { maxLength: 3 }),
        (modes, seq, wide) => {
          const set = new IntervalSet();
          const m = new Model(span(0, U));
          // Every even index held, modes cycling: ~4,000 segments, a three-level tree.
          for (let i = 0; i < U; i += 2) {
            const write = modes[(i / 2) % modes.length];
            set.set(i, i + 1, write);
            m.set(i, i + 1, write);
          }
          step(set, m, { kind: 'peek', start: 0, end: U });
          for (const op of seq) step(set, m, op);
          // Wide clears and sets swallow many segments at once and shrink the tree.
          for (const [k, r] of wide.entries()) step(set, m, k % 2 ? { kind: 'clear', ...r } : { kind: 'set', ...r, write: true });
          step(set, m, { kind: 'clear', start: 0, end: U });
          expect(set.size).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('IntervalSet examples', () => {
  const seg = (start: number, end: number, write: boolean): Segment => ({ start, end, write });

  test('starts empty', () => {
    const s = new IntervalSet();
    expect(s.size).toBe(0);
    expect(s.segments()).toEqual([]);
    expect(s.segments(0, 10)).toEqual([]);
  });

  test('adjacent and overlapping segments of the same mode merge', () => {
    const s = new IntervalSet();
    s.set(0, 5, true);
    s.set(5, 10, true);
    expect(s.segments()).toEqual([seg(0, 10, true)]);
    s.set(12, 15, true);
    s.set(9, 13, true);
    expect(s.segments()).toEqual([seg(0, 15, true)]);
    expect(s.size).toBe(1);
  });

  test('adjacent segments of different modes stay apart', () => {
    const s = new IntervalSet();
    s.set(0, 5, true);
    s.set(5, 10, false);
    expect(s.segments()).toEqual([seg(0, 5, true), seg(5, 10, false)]);
  });

  test('filling a gap joins both neighbours', () => {
    const s = new IntervalSet();
    s.set(0, 3, false);
    s.set(4, 7, false);
    s.set(3, 4, false);
    expect(s.segments()).toEqual([seg(0, 7, false)]);
  });

  test('partial clear splits a segment', () => {
    const s = new IntervalSet();
    s.set(0, 10, false);
    s.clear(3, 6);
    expect(s.segments()).toEqual([seg(0, 3, false), seg(6, 10, false)]);
    s.clear(0, 1);
    s.clear(9, 20);
    expect(s.segments()).toEqual([seg(1, 3, false), seg(6, 9, false)]);
  });

  test('converting the middle of a write run to read gives three segments, and back gives one', () => {
    const s = new IntervalSet();
    s.set(0, 10, true);
    s.set(4, 6, false);
    expect(s.segments()).toEqual([seg(0, 4, true), seg(4, 6, false), seg(6, 10, true)]);
    expect(s.size).toBe(3);
    s.set(4, 6, true);
    expect(s.segments()).toEqual([seg(0, 10, true)]);
  });

  test('set over several segments of both modes replaces them all', () => {
    const s = new IntervalSet();
    s.set(0, 2, true);
    s.set(3, 5, false);
    s.set(6, 8, true);
    s.set(1, 7, false);
    expect(s.segments()).toEqual([seg(0, 1, true), seg(1, 7, false), seg(7, 8, true)]);
  });

  test('setting what is already held changes nothing', () => {
    const s = new IntervalSet();
    s.set(0, 10, true);
    s.set(2, 5, true);
    expect(s.segments()).toEqual([seg(0, 10, true)]);
  });

  test('segments(a, b) clips to the window and skips segments outside it', () => {
    const s = new IntervalSet();
    s.set(0, 10, true);
    s.set(20, 30, false);
    s.set(40, 50, true);
    expect(s.segments(5, 25)).toEqual([seg(5, 10, true), seg(20, 25, false)]);
    expect(s.segments(10, 20)).toEqual([]);
    expect(s.segments(22, 23)).toEqual([seg(22, 23, false)]);
    expect(s.segments(45, 45)).toEqual([]);
  });

  test('indices up to 2^53 - 1', () => {
    const s = new IntervalSet();
    const top = Number.MAX_SAFE_INTEGER;
    s.set(top - 3, top, true);
    s.set(0, 1, false);
    s.clear(top - 2, top - 1);
    expect(s.segments()).toEqual([seg(0, 1, false), seg(top - 3, top - 2, true), seg(top - 1, top, true)]);
    expect(s.segments(0, top - 1)).toEqual([seg(0, 1, false), seg(top - 3, top - 2, true)]);
    expect(s.segments(1, top)).toEqual([seg(top - 3, top - 2, true), seg(top - 1, top, true)]);
    expect(s.segments(top - 2, top - 1)).toEqual([]);
  });

  test('clearAll empties the set, which stays usable', () => {
    const s = new IntervalSet();
    for (let i = 0; i < 1000; i += 2) s.set(i, i + 1, true);
    expect(s.size).toBe(500);
    s.clearAll();
    expect(s.size).toBe(0);
    expect(s.segments()).toEqual([]);
    s.set(3, 4, false);
    expect(s.segments()).toEqual([seg(3, 4, false)]);
  });
});

describe('IntervalSet scale', () => {
  /** Fastest of 5 timings (ns) of 2,000 set+clear pairs on free odd indices, `held` segments held. */
  function time(held: number): number {
    const s = new IntervalSet();
    for (let i = 0; i < held; i++) s.set(2 * i, 2 * i + 1, true);
    let best = Infinity;
    for (let rep = 0; rep < 6; rep++) {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < 2000; k++) {
        const x = 2 * ((k * 7919 + rep * 104_729) % held) + 1;
        s.set(x, x + 1, (k & 1) === 0);
        s.clear(x, x + 1);
      }
      const ns = Number(process.hrtime.bigint() - t0);
      if (rep > 0) best = Math.min(best, ns); // rep 0 warms up the JIT
    }
    expect(s.size).toBe(held);
    return best;
  }

  test('a set+clear with 100,000 segments held costs < 10x one with 100 held', () => {
    time(100); // warm-up
    const small = time(100);
    const large = time(100_000);
    expect(large / small).toBeLessThan(10);
  });
});
