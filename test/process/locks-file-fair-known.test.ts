/**
 * Fair-queue properties the 0.2.0 protocol (lib/locks-file/fair-queue.ts) is known to miss,
 * kept as failing tests for its rework; run only by `npm run test:known-failing` (their own
 * jest project), never by `npm test`. Move a test to locks-file-fair-order.test.ts once it
 * passes.
 *
 * 1. The hand-over with the SAME owners round after round: from round 2 on, the holder's
 *    immediate re-acquire is granted before the last waiter (with an async holder: failed 3
 *    runs of 3; processes all sync: passed 3 of 3). Likely cause (read from the code, not
 *    instrumented): `Acquirer#entry` treats any request overlapping the range its instance released LAST,
 *    however long ago, as "the releaser coming back" and makes it close the door; so the
 *    waiters of round 2 wait at the door as late comers, and the holder that comes back
 *    takes the door before the last of them (the kernel picks who gets a freed door).
 * 2. Strict FIFO (stronger than issue 10 asks; the Web Locks API promises it per name):
 *    waiters that queued one after the other (each once the previous is seen blocked) are
 *    granted in that order. In each of 5 runs, 2 or 3 of its 4 variants failed (processes
 *    with sync waiters never did): within one batch the kernel decides.
 */
import { FairRoom, handedOver, type Hosts, type Mode } from '../helpers/fair-owners';
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
