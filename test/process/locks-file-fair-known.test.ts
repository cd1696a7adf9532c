/**
 * Fair-queue properties the 0.2.0 protocol (lib/locks-file/fair-queue.ts) is known to miss,
 * kept as failing tests for its rework; run only by `npm run test:known-failing` (their own
 * jest project), never by `npm test`. Move a test to locks-file-fair-order.test.ts once it
 * passes.
 *
 * 1. The hand-over with the SAME owners round after round: from round 2 on, the holder's
 *    immediate re-acquire is granted before the last waiter (with an async holder: failed 3
 *    runs of 3; processes all sync: passed 3 of 3). Cause (seen in the library's debug log:
 *    in round 2 the waiters after the first are "queued ... (close)"): `Acquirer#entry` treats any request overlapping the range its instance released LAST,
 *    however long ago, as "the releaser coming back" and makes it close the door; so the
 *    waiters of round 2 wait at the door as late comers, and the holder that comes back
 *    takes the door before the last of them (the kernel picks who gets a freed door).
 * 2. Strict FIFO (stronger than issue 10 asks; the Web Locks API promises it per name):
 *    waiters that queued one after the other (each once the previous is seen blocked) are
 *    granted in that order. In each of 5 runs, 2 or 3 of its 4 variants failed (processes
 *    with sync waiters never did): within one batch the kernel decides.
 * 3. The reliability workload with every participant fair: a sync acquire sometimes throws
 *    `LockSystemError` "fcntl(F_SETLK): EAGAIN: queue batch lock at byte ... refused (another
 *    owner write-locked it)" from `FairQueue#steps` (the batch read taken under the door).
 *    Seen 7 times in a 12 s soak phase (half fair), once in one of two 12 s runs all fair.
 */
import { FairRoom, handedOver, type Hosts, type Mode } from '../helpers/fair-owners';
import { freshSeed } from '../helpers/random';
import { runStress } from '../helpers/rel-stress';
import { useScratchDir } from '../helpers/scratch';

jest.setTimeout(60_000);

const scratch = useScratchDir();
let room: FairRoom;

beforeEach(() => {
  room = new FairRoom(scratch());
});

afterEach(() => room.close());

const ROUNDS = 5;

describe.each<[Hosts, Mode, Mode]>([
  ['processes', 'sync', 'sync'],
  ['processes', 'async', 'async'],
  ['threads', 'async', 'sync'],
])('the same owners every round: %s, holder %s, waiters %s', (hosts, holderMode, waiterMode) => {
  test(`one holder and 4 queued waiters: the holder's immediate re-acquire is granted after every waiter (${ROUNDS} rounds)`, async () => {
    const rounds = await room.handOver({ hosts, holder: holderMode, waiter: waiterMode, waiters: 4, rounds: ROUNDS, reuse: true });
    expect(rounds).toEqual(handedOver(ROUNDS, 4));
  });
});

const WAITERS = 5;

describe.each<[Hosts, Mode]>([
  ['processes', 'sync'],
  ['processes', 'async'],
  ['threads', 'sync'],
  ['threads', 'async'],
])('strict FIFO: %s, waiters %s', (hosts, mode) => {
  test(`${WAITERS} waiters queued one after the other are granted in queue order`, async () => {
    const [holder, ...waiters] = await room.owners(WAITERS + 1, hosts);
    holder.acquire({ name: 'H', mode: 'async' });
    await holder.until('granted');
    const names = waiters.map((_, i) => `W${i + 1}`);
    for (const [i, w] of waiters.entries()) {
      w.acquire({ name: names[i], mode, hold: 2 });
      await room.untilWaiting(i + 1);
    }
    holder.release();
    for (const w of waiters) await w.until('released');
    expect(room.grants()).toEqual(['H', ...names]);
  });
});

test('the reliability workload with every participant fair: no unexpected error', async () => {
  const s = await runStress({
    dir: scratch(),
    processes: 5,
    threads: [2, 1, 0, 0, 0],
    durationMs: 15_000,
    killEveryMs: null,
    stallMs: 10_000,
    shmShare: 0,
    fairShare: 1,
    seed: freshSeed(),
  });
  expect(s.counters.fairGrants).toBeGreaterThan(1000);
  expect({ errors: s.counters.errors, violations: s.counters.violations, details: s.details.slice(0, 3) }).toEqual({ errors: 0, violations: 0, details: [] });
}, 120_000);
