/**
 * Multi-granularity advisory locks for index intervals.
 *
 * Indices live in blocks of 16^L indices at levels L = 0..13 (level 0: one index; 16^13 =
 * 2^52, so two level-13 blocks cover every index below 2^53). An interval is cut into its
 * canonical blocks (at most 15 per level on each side, so at most 30 per level, and only
 * about log16(count) levels), and every block gets up to three advisory keys:
 *
 * - `g` (gate / whole block): shared by a whole-block reader, exclusive by a whole-block writer;
 * - `r`, `w` (presence of readers / writers inside the block): held shared by an owner that
 *   reads / writes part of the block (the intention locks IS / IX of multi-granularity locking).
 *
 * Advisory locks only know shared and exclusive, which cannot express IS/IX/S/X by themselves
 * (IX must admit IX but exclude S), so entering is done through the gate: a part-writer takes
 * `g` exclusive for an instant before taking `w` shared, a part-reader `g` shared for an
 * instant before taking `r` shared; a whole-block reader holds `g` shared and waits once for
 * `w` (exclusive, released at once) so that writers inside leave; a whole-block writer holds
 * `g` exclusive and waits once for `r` and `w`. Two requests conflict exactly when their
 * intervals overlap and one of them writes. Every owner takes keys in one global order (level
 * descending, then block, then g < r < w), so requests never deadlock among themselves.
 *
 * A key is `hashtextextended('locksfile/<space>/<level>/<block>/<g|r|w>', 0)`: any client can
 * compute it in SQL.
 *
 * @packageDocumentation
 */
import type { Segment } from '../ranges/interval-set';
import { literal } from './sql';

/** Indices per block of the next level. */
const FANOUT = 16;
/** Highest level: 16^13 = 2^52. */
export const TOP_LEVEL = 13;
const SIZES: readonly number[] = Array.from({ length: TOP_LEVEL + 1 }, (_, l) => FANOUT ** l);

type Kind = 'g' | 'r' | 'w';
const KIND_ORDER: Record<Kind, number> = { g: 0, r: 1, w: 2 };

/** One advisory lock an owner holds: key `(level, block, kind)` in shared or exclusive mode. */
export interface Entry {
  readonly level: number;
  readonly block: number;
  readonly kind: Kind;
  readonly exclusive: boolean;
}

/** An owner's lock entries by {@link entryId}. */
export type Holdings = Map<string, Entry>;

/** Identity of an entry (mode included: PostgreSQL counts shared and exclusive separately). */
function entryId(e: Entry): string {
  return `${e.level}/${e.block}/${e.kind}/${e.exclusive ? 'x' : 's'}`;
}

function add(into: Holdings, e: Entry): void {
  into.set(entryId(e), e);
}

/** The canonical blocks of `[start, end)`: largest aligned blocks, left to right. */
export function canonicalBlocks(start: number, end: number): Array<{ level: number; block: number }> {
  const out: Array<{ level: number; block: number }> = [];
  let at = start;
  while (at < end) {
    let level = TOP_LEVEL;
    while (level > 0 && (at % SIZES[level] !== 0 || at + SIZES[level] > end)) level--;
    const size = SIZES[level];
    out.push({ level, block: at / size });
    at += size;
  }
  return out;
}

/** The entries an owner holding `segments` keeps (its persistent locks). */
export function holdingsOf(segments: Iterable<Segment>): Holdings {
  const out: Holdings = new Map();
  for (const seg of segments) {
    for (const { level, block } of canonicalBlocks(seg.start, seg.end)) {
      add(out, { level, block, kind: 'g', exclusive: seg.write });
      const first = block * SIZES[level];
      for (let up = level + 1; up <= TOP_LEVEL; up++) {
        add(out, { level: up, block: Math.floor(first / SIZES[up]), kind: seg.write ? 'w' : 'r', exclusive: false });
      }
    }
  }
  return out;
}

/** One step of an acquisition: lock or unlock one key in one mode. */
interface Step {
  readonly entry: Entry;
  readonly unlock: boolean;
}

function order(a: Entry, b: Entry): number {
  return b.level - a.level || a.block - b.block || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}

/** True when `held` already gives this owner `e` or more (exclusive covers shared). */
function covered(held: Holdings, e: Entry): boolean {
  return held.has(entryId(e)) || held.has(entryId({ ...e, exclusive: true }));
}

/**
 * The steps that take the owner from holding `from` to holding `to` without ever breaking
 * exclusion: new persistent entries with their momentary gate and wait locks, in the global
 * order (releasing the entries `to` no longer has is {@link releaseSql}'s job, after).
 * A momentary lock the owner already holds (in that mode or exclusive) is skipped, so every
 * lock step is on an entry the owner did not hold: undoing a failed attempt is unlocking
 * every lock step's entry that `from` lacks.
 */
export function acquireSteps(from: Holdings, to: Holdings): Step[] {
  const wanted = [...to.values()].filter((e) => !from.has(entryId(e))).sort(order);
  const steps: Step[] = [];
  const momentary = (e: Entry, before: () => void): void => {
    if (covered(from, e)) {
      before();
      return;
    }
    steps.push({ entry: e, unlock: false });
    before();
    steps.push({ entry: e, unlock: true });
  };
  // One block at a time (wanted is sorted, so a block's entries are adjacent).
  for (let i = 0; i < wanted.length;) {
    const first = wanted[i];
    const group: Entry[] = [];
    for (; i < wanted.length && wanted[i].level === first.level && wanted[i].block === first.block; i++) group.push(wanted[i]);
    const whole = group.find((e) => e.kind === 'g');
    const parts = group.filter((e) => e.kind !== 'g');
    if (whole !== undefined) {
      // A whole block: hold the gate, then wait once for the part-holders inside to leave.
      steps.push({ entry: whole, unlock: false });
      if (whole.level > 0) {
        if (whole.exclusive) momentary({ ...whole, kind: 'r', exclusive: true }, () => undefined);
        momentary({ ...whole, kind: 'w', exclusive: true }, () => undefined);
      }
    }
    if (parts.length > 0) {
      // Intentions enter through the gate, held for the instant of taking them (exclusive when
      // a writer enters: it waits out whole-block readers); one gate for both, so that the
      // keys are still taken in the global order g < r < w.
      const gate: Entry = { level: first.level, block: first.block, kind: 'g', exclusive: parts.some((e) => e.kind === 'w') };
      momentary(gate, () => {
        for (const e of parts) steps.push({ entry: e, unlock: false });
      });
    }
  }
  return steps;
}

function keySql(space: string, e: Entry): string {
  return `hashtextextended(${literal(`locksfile/${space}/${e.level}/${e.block}/${e.kind}`)}, 0)`;
}

function lockCall(e: Entry, unlock: boolean, tryOnly: boolean): string {
  return `pg_${tryOnly && !unlock ? 'try_' : ''}advisory_${unlock ? 'un' : ''}lock${e.exclusive ? '' : '_shared'}`;
}

/**
 * The SQL for {@link acquireSteps}: a SELECT whose target list makes the calls left to right
 * (PostgreSQL evaluates a plain SELECT's target list in order; one SELECT per 1000 calls), one
 * round trip. With
 * `tryOnly`, a busy key raises `division_by_zero` (SQLSTATE 22012), which stops the
 * evaluation there. An empty list gives an empty string (nothing to send).
 */
export function stepsSql(space: string, steps: readonly Step[], tryOnly: boolean): string {
  return select(
    steps.map(({ entry, unlock }) => {
      const call = `${lockCall(entry, unlock, tryOnly)}(${keySql(space, entry)})`;
      return tryOnly && !unlock ? `1 / ${call}::int` : call;
    }),
  );
}

/** SQL unlocking each entry of `entries` once (an entry not held just yields false). */
export function releaseSql(space: string, entries: Holdings): string {
  return select([...entries.values()].map((e) => `${lockCall(e, true, false)}(${keySql(space, e)})`));
}

/** Calls per SELECT: a target list holds at most 1664 entries. */
const CALLS_PER_SELECT = 1000;

function select(calls: readonly string[]): string {
  const statements: string[] = [];
  for (let i = 0; i < calls.length; i += CALLS_PER_SELECT) statements.push(`SELECT ${calls.slice(i, i + CALLS_PER_SELECT).join(',\n  ')};`);
  return statements.join('\n');
}

/** Every entry a lock step of `steps` takes that `from` lacks: what undoing a failed attempt unlocks. */
export function undoEntries(from: Holdings, steps: readonly Step[]): Holdings {
  const out: Holdings = new Map();
  for (const { entry, unlock } of steps) if (!unlock && !from.has(entryId(entry))) add(out, entry);
  return out;
}

/**
 * Rows `(key sql, exclusive, kind, block start, block count)` of every lock a request of
 * `steps` would wait for: for {@link PgLocksFile.probe}'s look into `pg_locks`.
 */
export function probeTargets(space: string, steps: readonly Step[]): Array<{ key: string; exclusive: boolean; kind: Kind; start: number; count: number }> {
  return steps
    .filter((s) => !s.unlock)
    .map(({ entry }) => ({
      key: keySql(space, entry),
      exclusive: entry.exclusive,
      kind: entry.kind,
      start: entry.block * SIZES[entry.level],
      count: SIZES[entry.level],
    }));
}
