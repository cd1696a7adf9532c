/**
 * pylocksfile's two-process read/write test (tests/tests.py, testRangesProc1/2), replayed
 * step by step between two real processes (lf-agent children) on one lock file.
 *
 * Every step asserts what the waiting side saw when it asked (probe() and a blocking:false
 * try), what each side holds (held(), merged), and what a third owner (this test process)
 * sees: a read probe answers null exactly when nobody holds a write lock there, a write
 * probe null exactly when nobody holds anything. A wait is asserted to be still pending
 * before the release that should end it, and to end after that release.
 *
 * Process A: W 0-2; R 1; release 1; W 3-4 (waits); R 0; release 0; R 3; R 0 (waits);
 *            W 0-5 (waits); release all.
 * Process B: W 3-5; W 1 (waits); release 4; release 3; R 0 (waits); W 0 (waits);
 *            release 0-1; release 4; release 3; exit (drops 5).
 *
 * Run twice: agents waiting with the async API (their event loop stays free, so held() is
 * asked during the wait as well) and with acquireSync (the waiting process is blocked).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { killAll } from '../helpers/children';
import { type Agent, type AgentRange, startAgent } from '../helpers/lf-agent';
import { tmpDir } from '../helpers/paths';

const W = true;
const R = false;
const r = (start: number, count: number, write: boolean): AgentRange => ({ start, count, write });
const ofd = (start: number, count: number, write: boolean): { start: number; count: number; write: boolean; pid: number } => ({ start, count, write, pid: -1 });

let dir: string;
let observer: LocksFile | undefined;

beforeEach(() => {
  dir = tmpDir();
});

afterEach(async () => {
  observer?.close();
  observer = undefined;
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['async', 'sync'] as const)('pylocksfile two-process sequence (%s waits)', (mode) => {
  test('every step blocks exactly where it should and is granted right after the release', async () => {
    const lockPath = path.join(dir, 'seq.lock');
    const a = await startAgent(lockPath, mode);
    const b = await startAgent(lockPath, mode);
    const obs = new LocksFile(lockPath);
    observer = obs;
    /** Indices on which some owner holds a write lock (read probe per index). */
    const writers = (from: number, to: number): number[] => {
      const out: number[] = [];
      for (let i = from; i < to; i++) if (obs.probe(i) !== null) out.push(i);
      return out;
    };
    /** Indices held by anybody (write probe per index). */
    const anyHolder = (from: number, to: number): number[] => {
      const out: number[] = [];
      for (let i = from; i < to; i++) if (obs.probe(i, { write: true }) !== null) out.push(i);
      return out;
    };
    /** While `waiter` waits for request `id`: not granted yet (and, in async mode, not in its held()). */
    const stillWaiting = async (waiter: Agent, id: number, expectedHeld: AgentRange[]): Promise<void> => {
      expect(waiter.isGranted(id)).toBe(false);
      if (mode === 'async') expect(await waiter.held()).toEqual(expectedHeld);
    };

    // A1: W 0-2.
    let ra = await a.acquire([0, 3], W);
    expect(ra).toMatchObject({ probe: null, granted: true, held: [r(0, 3, W)] });
    // B1: W 3-5, free.
    const rb = await b.acquire([3, 3], W);
    expect(rb).toMatchObject({ probe: null, granted: true, held: [r(3, 3, W)] });
    expect(writers(0, 8)).toEqual([0, 1, 2, 3, 4, 5]);

    // B2: W 1 -> blocked by A's write lock on 0-2 (the probe reports A's whole range).
    const b2 = await b.acquire([1, 1], W);
    expect(b2).toMatchObject({ probe: ofd(0, 3, W), granted: false, held: [r(3, 3, W)] });
    // A2: A converts 1 to read; B still waits (a read lock blocks a write).
    ra = await a.acquire([1, 1], R);
    expect(ra).toMatchObject({ probe: null, granted: true, held: [r(0, 1, W), r(1, 1, R), r(2, 1, W)] });
    expect(obs.probe(1, { write: true })).toEqual(ofd(1, 1, R)); // only A's read lock on 1
    expect(await a.probe([1, 1], W)).toBeNull();
    expect(writers(0, 8)).toEqual([0, 2, 3, 4, 5]); // nobody writes 1: B did not get it
    await stillWaiting(b, b2.id, [r(3, 3, W)]);
    // A3: A releases 1 -> B's write on 1 is granted.
    expect(await a.release([1, 1])).toEqual([r(0, 1, W), r(2, 1, W)]);
    expect(await b.granted(b2.id)).toEqual([r(1, 1, W), r(3, 3, W)]);
    expect(writers(0, 8)).toEqual([0, 1, 2, 3, 4, 5]);

    // A4: W 3-4 -> blocked by B's write lock on 3-5.
    const a4 = await a.acquire([3, 2], W);
    expect(a4).toMatchObject({ probe: ofd(3, 3, W), granted: false, held: [r(0, 1, W), r(2, 1, W)] });
    // B3: B releases 4 (its 3-5 splits); A still waits for 3.
    expect(await b.release([4, 1])).toEqual([r(1, 1, W), r(3, 1, W), r(5, 1, W)]);
    expect(await b.probe([3, 2], W)).toBeNull(); // B's own locks never block B
    expect(anyHolder(3, 6)).toEqual([3, 5]); // 4 is free: A has not taken any part of 3-4
    await stillWaiting(a, a4.id, [r(0, 1, W), r(2, 1, W)]);
    // B4: B releases 3 -> A's W 3-4 is granted and merges with its W 2.
    expect(await b.release([3, 1])).toEqual([r(1, 1, W), r(5, 1, W)]);
    expect(await a.granted(a4.id)).toEqual([r(0, 1, W), r(2, 3, W)]);
    expect(await b.try([3, 1], R)).toBe(false);
    expect(await b.try([4, 1], R)).toBe(false);

    // B5: R 0 -> blocked by A's write lock on 0.
    const b5 = await b.acquire([0, 1], R);
    expect(b5).toMatchObject({ probe: ofd(0, 1, W), granted: false, held: [r(1, 1, W), r(5, 1, W)] });
    // A5: A converts 0 to read -> B's read on 0 is granted (shared).
    ra = await a.acquire([0, 1], R);
    expect(ra).toMatchObject({ probe: null, granted: true, held: [r(0, 1, R), r(2, 3, W)] });
    expect(await b.granted(b5.id)).toEqual([r(0, 1, R), r(1, 1, W), r(5, 1, W)]);
    expect(writers(0, 1)).toEqual([]);

    // B6: B converts 0 to write -> blocked by A's read lock; B keeps its read lock meanwhile.
    const b6 = await b.acquire([0, 1], W);
    expect(b6).toMatchObject({ probe: ofd(0, 1, R), granted: false, held: [r(0, 1, R), r(1, 1, W), r(5, 1, W)] });
    expect(await a.probe([0, 1], W)).toEqual(ofd(0, 1, R)); // B's read lock is still there
    expect(writers(0, 1)).toEqual([]);
    await stillWaiting(b, b6.id, [r(0, 1, R), r(1, 1, W), r(5, 1, W)]);
    // A6: A releases 0 -> B's conversion is granted; B's W 0 merges with its W 1.
    expect(await a.release([0, 1])).toEqual([r(2, 3, W)]);
    expect(await b.granted(b6.id)).toEqual([r(0, 2, W), r(5, 1, W)]);
    expect(writers(0, 8)).toEqual([0, 1, 2, 3, 4, 5]);

    // A7: A converts 3 to read (a downgrade never waits); its W 2-4 splits.
    ra = await a.acquire([3, 1], R);
    expect(ra).toMatchObject({ probe: null, granted: true, held: [r(2, 1, W), r(3, 1, R), r(4, 1, W)] });
    expect(writers(0, 8)).toEqual([0, 1, 2, 4, 5]);
    expect(await b.try([3, 1], R)).toBe(true); // 3 is shared now
    expect(await b.release([3, 1])).toEqual([r(0, 2, W), r(5, 1, W)]);

    // A8: R 0 -> blocked by B's write lock on 0-1.
    const a8 = await a.acquire([0, 1], R);
    expect(a8).toMatchObject({ probe: ofd(0, 2, W), granted: false });
    await stillWaiting(a, a8.id, [r(2, 1, W), r(3, 1, R), r(4, 1, W)]);
    // B7: B releases 0-1 -> A's read on 0 is granted.
    expect(await b.release([0, 2])).toEqual([r(5, 1, W)]);
    expect(await a.granted(a8.id)).toEqual([r(0, 1, R), r(2, 1, W), r(3, 1, R), r(4, 1, W)]);

    // A9: W 0-5 -> blocked by B's write lock on 5 only.
    const a9 = await a.acquire([0, 6], W);
    expect(a9).toMatchObject({ probe: ofd(5, 1, W), granted: false });
    // B8, B9: B releases 4 and 3, which it does not hold: no-ops, A still waits.
    expect(await b.release([4, 1])).toEqual([r(5, 1, W)]);
    expect(await b.release([3, 1])).toEqual([r(5, 1, W)]);
    expect(writers(0, 8)).toEqual([2, 4, 5]); // A's pending conversion took nothing yet
    await stillWaiting(a, a9.id, [r(0, 1, R), r(2, 1, W), r(3, 1, R), r(4, 1, W)]);
    // B exits without releasing 5: the kernel drops it, A's W 0-5 is granted and merged.
    await b.exit();
    expect(await a.granted(a9.id)).toEqual([r(0, 6, W)]);
    expect(writers(0, 8)).toEqual([0, 1, 2, 3, 4, 5]);

    // A10: release all.
    expect(await a.release()).toEqual([]);
    expect(anyHolder(0, 8)).toEqual([]);
    await a.close();
    await a.exit();
  });
});
