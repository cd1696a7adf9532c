/**
 * What one `LocksFile` holds, by scope, and the rule "the kernel holds exactly the union of
 * what the scopes hold" in one place.
 *
 * Scopes: the owner scope (pylocksfile-style `acquire`/`release`: conversion, partial
 * release) and one scope per handle (`lock`/`lockSync`/`withLock`: one range in one mode).
 * Scopes exclude each other like separate owners (read/read share, anything with write
 * conflicts), which {@link OwnerLocks.blocks} decides before the kernel is asked. All scopes
 * share one open file description, so the kernel holds their union: a write range belongs
 * to exactly one scope, a read range may belong to several. Releasing a scope's range
 * recomputes the kernel state of that range from what the other scopes still hold, which
 * only ever downgrades or unlocks (never blocks).
 *
 * @packageDocumentation
 */
import type { Range } from '../args/spec';
import { IntervalSet, type Segment } from '../ranges/interval-set';
import type { OwnerFile } from './owner-file';

/** One handle's range `[start, start + count)` in one mode. */
export class Holding {
  readonly end: number;

  constructor(
    readonly start: number,
    readonly count: number,
    readonly write: boolean,
  ) {
    this.end = start + count;
  }
}

/** Who a request is for: a handle's holding-to-be, or `undefined` for the owner scope. */
export type Scope = Holding | undefined;

/** The local lock table of one instance and its kernel mirror. */
export class OwnerLocks {
  /** The owner scope: what `acquire`/`acquireSync` took and `release` has not yet freed. */
  readonly #owner = new IntervalSet();
  /** Live handles. */
  readonly #handles = new Set<Holding>();

  constructor(private readonly file: OwnerFile) {}

  /** True when no scope holds anything. */
  get empty(): boolean {
    return this.#owner.size === 0 && this.#handles.size === 0;
  }

  /**
   * Whether a request of `scope` for `[start, end)` conflicts with another scope of this
   * instance (write/write or read/write overlap). The owner scope never conflicts with
   * itself: asking over its own holdings converts them.
   */
  blocks(scope: Scope, start: number, end: number, write: boolean): boolean {
    if (this.#handles.size !== 0) {
      for (const h of this.#handles) if (h.start < end && start < h.end && (write || h.write)) return true;
    }
    if (scope === undefined || this.#owner.size === 0) return false;
    for (const seg of this.#owner.segments(start, end)) if (write || seg.write) return true;
    return false;
  }

  /**
   * Records a grant the kernel already applied: `write` set on `[start, end)` through this
   * instance's descriptor, which (since {@link blocks} let it through) is the new union there.
   */
  record(scope: Scope, start: number, end: number, write: boolean): void {
    if (scope === undefined) this.#owner.set(start, end, write);
    else this.#handles.add(scope);
  }

  /** Releases a handle's range; other scopes keep theirs. */
  releaseHandle(holding: Holding): void {
    if (!this.#handles.delete(holding)) return;
    this.#lower(holding.start, holding.end);
  }

  /** Releases the owner scope's holdings on `[start, end)`; other scopes keep theirs. */
  releaseOwner(start: number, end: number): void {
    if (this.#owner.size === 0) return;
    if (start === 0 && end === Number.MAX_SAFE_INTEGER) {
      const segments = this.#owner.segments();
      this.#owner.clearAll();
      for (const seg of segments) this.#lower(seg.start, seg.end);
      return;
    }
    this.#owner.clear(start, end);
    this.#lower(start, end);
  }

  /** After `[start, end)` lost a holder: one unlock when nobody else is there, else {@link restore}. */
  #lower(start: number, end: number): void {
    if (this.#owner.size === 0 && !this.#anyHandle(start, end)) this.file.set('unlock', start, end - start);
    else this.restore(start, end);
  }

  /** Whether any scope of this instance holds something on `[start, end)`. */
  holds(start: number, end: number): boolean {
    if (this.#anyHandle(start, end)) return true;
    return this.#owner.size !== 0 && this.#owner.segments(start, end).length !== 0;
  }

  #anyHandle(start: number, end: number): boolean {
    if (this.#handles.size === 0) return false;
    for (const h of this.#handles) if (h.start < end && start < h.end) return true;
    return false;
  }

  /**
   * Makes the kernel's locks on `[start, end)` match the table again: held parts get the
   * union's mode (a no-op or a downgrade), the rest is unlocked. Used after releases and to
   * give back a grant that is not wanted; neither ever waits.
   */
  restore(start: number, end: number): void {
    if (this.file.closed) return;
    let at = start;
    for (const seg of this.union(start, end)) {
      if (seg.start > at) this.file.set('unlock', at, seg.start - at);
      this.file.set(seg.write ? 'write' : 'read', seg.start, seg.end - seg.start);
      at = seg.end;
    }
    if (at < end) this.file.set('unlock', at, end - at);
  }

  /** Everything held on `[start, end)` by any scope, merged, sorted and clipped. */
  union(start = 0, end = Number.MAX_SAFE_INTEGER): Segment[] {
    if (!this.#anyHandle(start, end)) return this.#owner.segments(start, end);
    const all = new IntervalSet();
    for (const seg of this.#owner.segments(start, end)) all.set(seg.start, seg.end, seg.write);
    // A write holding overlaps no other holding (blocks() saw to it): the order of sets is free.
    for (const h of this.#handles) {
      if (h.start < end && start < h.end) all.set(Math.max(h.start, start), Math.min(h.end, end), h.write);
    }
    return all.segments();
  }

  /**
   * The part of `range` a kernel wait for it may cover: for a read request, the range without
   * the owner scope's own write locks (a wait granted there would turn them into read locks,
   * and if the request were then abandoned, turning them back could block); otherwise the
   * whole range.
   */
  waitPlan(range: Range, write: boolean): Range[] {
    const end = range.start + range.count;
    if (write || this.#owner.size === 0) return [range];
    const parts: Range[] = [];
    let at = range.start;
    for (const seg of this.#owner.segments(range.start, end)) {
      if (!seg.write) continue;
      if (seg.start > at) parts.push({ start: at, count: seg.start - at });
      at = seg.end;
    }
    if (at < end) parts.push({ start: at, count: end - at });
    return parts;
  }

  /**
   * Forgets every scope and unlocks what they held. OFD: the whole file in one call (which
   * also covers a grant still racing in). POSIX: only the held ranges, since the whole-file
   * unlock would drop the locks other instances of this process took on the same file.
   */
  releaseAll(): void {
    if (this.file.backend === 'ofd') this.file.set('unlock', 0, 0);
    else for (const seg of this.union()) this.file.set('unlock', seg.start, seg.end - seg.start);
    this.#owner.clearAll();
    this.#handles.clear();
  }
}
