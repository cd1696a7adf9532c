/**
 * Pure bookkeeping of which lock indices an owner holds, and how (read or write).
 * Mirrors what the kernel keeps for one open file description: adjacent ranges of the same
 * mode merge, a partial clear splits, assigning a mode over a range converts the overlap.
 *
 * Storage: a B+-tree keyed by segment start. Leaves keep up to 64 segments in two small
 * sorted arrays and are linked to their neighbours; branches keep up to 64 children (at most
 * 4 levels for 100,000 segments). An update descends once, O(log n), then mostly edits that
 * one leaf in place; it rebalances (also O(log n)) only when a leaf over- or underflows.
 * No step is linear in the number of segments held.
 *
 * @packageDocumentation
 */

/** A maximal run `[start, end)` held in one mode. */
export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly write: boolean;
}

/** Most entries (segments or children) a node holds; one more and it splits in halves. */
const MAX = 64;
/** Fewest entries a non-root node holds; one less and it is joined with a sibling. */
const MIN = MAX / 4;

/** Index of the first element of ascending `a` above `x`, i.e. how many are `<= x`. */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bottom node: segments sorted by start. Leaves form a doubly linked list in key order. */
class Leaf {
  starts: number[] = [];
  /** End of each segment, negated for read segments (an end is >= 1, so the sign is free). */
  ends: number[] = [];
  prev: Leaf | null = null;
  next: Leaf | null = null;

  get length(): number {
    return this.starts.length;
  }
  start(i: number): number {
    return this.starts[i];
  }
  end(i: number): number {
    return Math.abs(this.ends[i]);
  }
  write(i: number): boolean {
    return this.ends[i] > 0;
  }
  setEnd(i: number, end: number): void {
    this.ends[i] = this.ends[i] > 0 ? end : -end;
  }

  insert(i: number, start: number, end: number, write: boolean): void {
    this.starts.splice(i, 0, start);
    this.ends.splice(i, 0, write ? end : -end);
  }

  remove(i: number): void {
    this.starts.splice(i, 1);
    this.ends.splice(i, 1);
  }
}

/** Inner node: child `i` holds the starts in `[keys[i - 1], keys[i])`; one more kid than keys. */
class Branch {
  keys: number[] = [];
  kids: TreeNode[] = [];
}

type TreeNode = Leaf | Branch;

/** Segment `i` of `leaf`. Valid until the tree's shape next changes. */
interface Pos {
  readonly leaf: Leaf;
  readonly i: number;
}

function entries(n: TreeNode): number {
  return n instanceof Leaf ? n.length : n.kids.length;
}

/** Moves the upper half of overfull `n` to a new right sibling; returns the separator and it. */
function split(n: TreeNode): [number, TreeNode] {
  if (n instanceof Leaf) {
    const r = new Leaf();
    const h = n.length >> 1;
    r.starts = n.starts.splice(h);
    r.ends = n.ends.splice(h);
    [r.prev, r.next] = [n, n.next];
    if (n.next) n.next.prev = r;
    n.next = r;
    return [r.start(0), r];
  }
  const r = new Branch();
  const h = n.kids.length >> 1;
  r.kids = n.kids.splice(h);
  r.keys = n.keys.splice(h);
  return [n.keys.pop()!, r];
}

/** Appends right sibling `r` (separated from `l` by `sep`) to `l`; `r` is then discarded. */
function join(l: TreeNode, sep: number, r: TreeNode): void {
  if (l instanceof Leaf && r instanceof Leaf) {
    l.starts.push(...r.starts);
    l.ends.push(...r.ends);
    l.next = r.next;
    if (r.next) r.next.prev = l;
  } else if (l instanceof Branch && r instanceof Branch) {
    l.keys.push(sep, ...r.keys);
    l.kids.push(...r.kids);
  }
}

/**
 * The lock indices one owner holds, as disjoint maximal `[start, end)` segments, each in read
 * or write mode. Indices are integers in `0 .. 2^53 - 1`; the caller validates arguments
 * (`start < end`, safe integers). Segments never overlap, and two segments of the same mode
 * never touch (they are merged), exactly as Linux keeps the locks of one owner.
 *
 * Every update costs O(log n) amortised (one that swallows k segments: O(k log n), each of
 * them having been paid for when it was created); {@link IntervalSet.segments} O(log n + k).
 */
export class IntervalSet {
  private root: TreeNode = new Leaf();
  private count = 0;

  /** Number of maximal segments held. */
  get size(): number {
    return this.count;
  }

  /**
   * Assigns mode `write` (true: write, false: read) to every index of `[start, end)`,
   * overwriting what was there (this is how a read<->write conversion is recorded), and merges
   * the result with touching or overlapping segments of the same mode.
   */
  set(start: number, end: number, write: boolean): void {
    const root = this.root;
    if (this.count === 0 && root instanceof Leaf) {
      // The common lock-then-release shape: the one segment, without the search.
      root.starts.push(start);
      root.ends.push(write ? end : -end);
      this.count = 1;
      return;
    }
    this.carve(start, end, write);
  }

  /** Removes every index of `[start, end)`, splitting a segment that straddles either edge. */
  clear(start: number, end: number): void {
    if (this.count === 0) return;
    const root = this.root;
    if (this.count === 1 && root instanceof Leaf && start <= root.start(0) && root.end(0) <= end) {
      root.starts.length = 0;
      root.ends.length = 0;
      this.count = 0;
      return;
    }
    this.carve(start, end, null);
  }

  /** Removes everything. O(1). */
  clearAll(): void {
    this.root = new Leaf();
    this.count = 0;
  }

  /**
   * Maximal segments overlapping `[start, end)`, clipped to it, sorted by start.
   * Without arguments: every segment held. Empty when `start >= end`.
   */
  segments(start = 0, end = Number.MAX_SAFE_INTEGER): Segment[] {
    const out: Segment[] = [];
    if (start >= end) return out;
    let p = this.floor(start);
    if (!p || p.leaf.end(p.i) <= start) p = this.succ(p);
    for (; p && p.leaf.start(p.i) < end; p = this.succ(p)) {
      const { leaf, i } = p;
      out.push({ start: Math.max(leaf.start(i), start), end: Math.min(leaf.end(i), end), write: leaf.write(i) });
    }
    return out;
  }

  /** Empties `[start, end)`, then unless `mode` is null fills it with `mode`, merging neighbours. */
  private carve(start: number, end: number, mode: boolean | null): void {
    let p = this.floor(start - 1); // last segment starting before `start`: kept, maybe truncated
    let tailEnd = end; // `[end, tailEnd)` of a segment reaching past `end` survives it
    let tailWrite = false;
    if (p && p.leaf.end(p.i) > start) {
      if (p.leaf.end(p.i) > end) [tailEnd, tailWrite] = [p.leaf.end(p.i), p.leaf.write(p.i)];
      p.leaf.setEnd(p.i, start);
    }
    let c = this.succ(p); // first segment starting at or after `start`
    while (c && c.leaf.start(c.i) < end) {
      if (c.leaf.end(c.i) > end) [tailEnd, tailWrite] = [c.leaf.end(c.i), c.leaf.write(c.i)];
      if (!this.removeAt(c)) p = this.floor(start - 1); // the shape changed: positions are stale
      c = this.succ(p);
    }
    let at = p; // what the next insertion goes right after (null: unknown, descend from the root)
    if (mode !== null) {
      let newEnd = end;
      let mergeRight = false;
      if (tailEnd > end && tailWrite === mode) [newEnd, tailEnd] = [tailEnd, end];
      else if (tailEnd === end && c && c.leaf.start(c.i) === end && c.leaf.write(c.i) === mode) {
        newEnd = c.leaf.end(c.i);
        mergeRight = true;
      }
      const mergeLeft = p !== null && p.leaf.end(p.i) === start && p.leaf.write(p.i) === mode;
      if (mergeLeft) p!.leaf.setEnd(p!.i, newEnd);
      if (mergeRight && !this.removeAt(c!)) at = null;
      if (!mergeLeft) at = this.insertAfter(at, start, newEnd, mode);
    }
    if (tailEnd > end) this.insertAfter(at, end, tailEnd, tailWrite);
  }

  /** The segment with the greatest start `<= x`, or null. */
  private floor(x: number): Pos | null {
    let n = this.root;
    while (n instanceof Branch) n = n.kids[upperBound(n.keys, x)]!;
    const i = upperBound(n.starts, x) - 1;
    if (i >= 0) return { leaf: n, i };
    // All later leaves start above `x`: the answer ends the previous leaf (non-root leaves are never empty).
    return n.prev ? { leaf: n.prev, i: n.prev.length - 1 } : null;
  }

  /** The segment after `p` (null: the first segment), or null. */
  private succ(p: Pos | null): Pos | null {
    if (p) return p.i + 1 < p.leaf.length ? { leaf: p.leaf, i: p.i + 1 } : p.leaf.next && { leaf: p.leaf.next, i: 0 };
    let n = this.root;
    while (n instanceof Branch) n = n.kids[0]!;
    return n.length > 0 ? { leaf: n, i: 0 } : null;
  }

  /**
   * Adds `[start, end)` right after its predecessor `at` (null: unknown). Returns the new
   * segment's position if the tree kept its shape, else null.
   */
  private insertAfter(at: Pos | null, start: number, end: number, write: boolean): Pos | null {
    // In place when the leaf has room and the key lands strictly inside it (or the leaf is the
    // last one), so that no separator above can disagree; otherwise descend from the root.
    if (at && at.leaf.length < MAX && (at.i + 1 < at.leaf.length || !at.leaf.next)) {
      at.leaf.insert(at.i + 1, start, end, write);
      this.count++;
      return { leaf: at.leaf, i: at.i + 1 };
    }
    const s = this.insertInto(this.root, start, end, write);
    if (s) {
      const r = new Branch();
      [r.keys, r.kids] = [[s[0]], [this.root, s[1]]];
      this.root = r;
    }
    this.count++;
    return null;
  }

  /** Adds `[start, end)` below `n`; returns what `n` split off, if it overflowed. */
  private insertInto(n: TreeNode, start: number, end: number, write: boolean): [number, TreeNode] | null {
    if (n instanceof Leaf) {
      n.insert(upperBound(n.starts, start), start, end, write);
      return n.length > MAX ? split(n) : null;
    }
    const i = upperBound(n.keys, start);
    const s = this.insertInto(n.kids[i], start, end, write);
    if (!s) return null;
    n.keys.splice(i, 0, s[0]);
    n.kids.splice(i + 1, 0, s[1]);
    return n.kids.length > MAX ? split(n) : null;
  }

  /** Removes the segment at `p`. Returns true if the tree kept its shape (positions stay valid). */
  private removeAt(p: Pos): boolean {
    this.count--;
    if (p.leaf.length > MIN || p.leaf === this.root) {
      p.leaf.remove(p.i);
      return true;
    }
    this.removeFrom(this.root, p.leaf.start(p.i));
    if (this.root instanceof Branch && this.root.kids.length === 1) this.root = this.root.kids[0]!;
    return false;
  }

  /** Removes the segment starting at `start` (which exists) below `n`, rebalancing on the way up. */
  private removeFrom(n: TreeNode, start: number): void {
    if (n instanceof Leaf) return n.remove(upperBound(n.starts, start) - 1);
    const i = upperBound(n.keys, start);
    const kid = n.kids[i];
    this.removeFrom(kid, start);
    if (entries(kid) >= MIN) return;
    // Underfull: join it with a sibling, and split that again in halves if it overflows.
    const j = i > 0 ? i - 1 : i;
    const l = n.kids[j];
    join(l, n.keys[j], n.kids[j + 1]);
    n.keys.splice(j, 1);
    n.kids.splice(j + 1, 1);
    if (entries(l) > MAX) {
      const [key, r] = split(l);
      n.keys.splice(j, 0, key);
      n.kids.splice(j + 1, 0, r);
    }
  }
}
