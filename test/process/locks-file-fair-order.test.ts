/**
 * Fair hand-over order properties of issue 10, across real OS processes and worker threads:
 * ORDER only, never timing. Every owner appends its name to a log file while it holds its
 * grant, so the log is the grant order; "queued" means the kernel lists the request as
 * blocked (`/proc/locks`), whatever the queue protocol parks it on.
 *
 * These hold for any fair protocol. Under the negative control (`LOCKSFILE_TEST_BARGE=1`,
 * owners with `fair: false`) every test here is expected to fail, and did (16 of 16): that is
 * what shows they can. The exact counters through the fair queue are in
 * locks-file-counter.test.ts, kills in every queue phase in test/reliability/fair-kill.test.ts.
 */
import { type Ask, handedOver, type Hosts, type Mode } from '../helpers/fair-owners';
import { useFairRoom } from '../helpers/fair-room';

jest.setTimeout(60_000);

const room = useFairRoom();

const WAITERS = 4;
/**
 * Rounds of the scenarios where barging only sometimes wins the race (the kernel wakes its
 * blocked waiters and the releaser may or may not come back first): repeated, so that the
 * negative control fails nearly every time.
 */
const ROUNDS = 5;

/**
 * Same owners every round (`true`): from round 2 on each waiter asks for a range it released
 * before. That failed against the first 0.2.0 protocol, which took any request overlapping
 * the range its instance released last, however long ago, for "the releaser coming back"
 * and made it close the door (then the real releaser could get the door first).
 */
describe.each<[Hosts, Mode, Mode, boolean]>([
  ['processes', 'sync', 'sync', false],
  ['processes', 'async', 'async', false],
  ['processes', 'sync', 'async', false],
  ['processes', 'async', 'sync', false],
  ['threads', 'sync', 'async', false],
  ['threads', 'async', 'sync', false],
  ['processes', 'sync', 'sync', true],
  ['processes', 'async', 'async', true],
  ['threads', 'async', 'sync', true],
])('%s, holder %s, waiters %s, same owners every round: %s', (hosts, holderMode, waiterMode, reuse) => {
  test(`one holder and ${WAITERS} queued waiters: the holder's immediate re-acquire is granted after every waiter (${ROUNDS} rounds)`, async () => {
    const rounds = await room().handOver({ hosts, holder: holderMode, waiter: waiterMode, waiters: WAITERS, rounds: ROUNDS, reuse });
    expect(rounds).toEqual(handedOver(ROUNDS, WAITERS));
  });
});

describe.each<[Hosts, Mode, Mode]>([
  ['processes', 'async', 'sync'],
  ['processes', 'sync', 'async'],
  ['threads', 'async', 'async'],
])('%s, wide writer %s, readers %s', (hosts, writerMode, readerMode) => {
  test('readers hold single indices of [0, 64); a queued writer of [0, 64) goes before every reader that asked after it', async () => {
    const held = [3, 10, 63];
    // A free index, an index other readers hold, the whole range, two parts of it.
    const parts: Array<[number, number]> = [
      [5, 1],
      [10, 1],
      [0, 64],
      [32, 8],
      [60, 4],
    ];
    const [writer, ...readers] = await room().owners(1 + held.length + parts.length, hosts);
    const first = readers.slice(0, held.length);
    const late = readers.slice(held.length);
    for (const [i, r] of first.entries()) {
      r.acquire({ name: `R${held[i]}`, mode: readerMode, start: held[i], count: 1, write: false });
      await r.until('granted');
    }
    writer.acquire({ name: 'W', mode: writerMode, start: 0, count: 64, write: true, hold: 5 });
    await room().untilWaiting(1);
    await room().queueInOrder(
      late,
      parts.map(([start, count]) => ({ name: `L${start}+${count}`, mode: readerMode, start, count, write: false, hold: 1 })),
      1,
    );
    for (const r of first) r.release();
    await writer.until('released');
    for (const r of late) await r.until('released');
    const log = room().grants();
    expect(log.slice(0, 3)).toEqual(['R3', 'R10', 'R63']);
    expect(log[3]).toBe('W');
    expect(log).toHaveLength(4 + parts.length);
  });
});

describe.each<[Hosts, Mode]>([
  ['processes', 'sync'],
  ['processes', 'async'],
  ['threads', 'async'],
])('%s, %s', (hosts, mode) => {
  test('a reader arriving after a queued writer queues behind it although the current holders only read (PENDING)', async () => {
    const [reader, writer, newcomer] = await room().owners(3, hosts);
    reader.acquire({ name: 'R', mode, write: false });
    await reader.until('granted');
    writer.acquire({ name: 'W', mode, write: true, hold: 2 });
    await room().untilWaiting(1);
    newcomer.acquire({ name: 'N', mode, write: false, hold: 1 });
    await room().untilWaiting(2, () => newcomer.has('granted'));
    // Nor is a non-blocking read of this process let in.
    expect(room().open().acquireSync(0, { write: false, blocking: false })).toBe(false);
    reader.release();
    await newcomer.until('released');
    expect(room().grants()).toEqual(['R', 'W', 'N']);
  });
});

describe.each<[string, Hosts, Ask]>([
  ['sync timeout', 'processes', { name: 'T', mode: 'sync', timeout: 500 }],
  ['async timeout', 'processes', { name: 'T', mode: 'async', timeout: 500 }],
  ['AbortSignal', 'processes', { name: 'T', mode: 'async', abortAfter: 500 }],
  ['sync timeout in a thread', 'threads', { name: 'T', mode: 'sync', timeout: 500 }],
])('a queued waiter that gives up (%s)', (_, hosts, giveUp) => {
  test(`leaves the queue: the waiter behind it still goes before the holder coming back, and nothing of it stays (${ROUNDS} rounds)`, async () => {
    const [holder, quitter, next] = await room().owners(3, hosts);
    const gaveUp = giveUp.abortAfter === undefined ? 'timeout' : 'aborted';
    for (let round = 1; round <= ROUNDS; round++) {
      const from = room().grants().length;
      holder.acquire({ name: 'H', mode: 'async' });
      await holder.until('granted');
      quitter.acquire(giveUp);
      await room().untilWaiting(1);
      next.acquire({ name: 'N', mode: giveUp.mode, hold: 2 });
      // On a loaded machine the quitter may give up before the next one is seen waiting.
      await room().untilWaiting(2, () => quitter.has(gaveUp));
      await quitter.until(gaveUp);
      await room().untilWaiting(1);
      holder.cycle({ name: 'H', mode: 'async' });
      await holder.until('granted');
      holder.release();
      await holder.until('released');
      await next.until('released');
      expect({ round, log: room().grants().slice(from) }).toEqual({ round, log: ['H', 'N', 'H'] });
      // Nothing the quitter left makes a free range look taken or queued.
      const probe = room().open();
      expect(probe.acquireSync(0, { write: true, blocking: false })).toBe(true);
      probe.release();
    }
  });
});
