/**
 * Web Locks semantics across real processes and worker threads: every actor is a
 * LockManager in its own child process (or in a worker thread of one), sharing one registry.
 * Orders and states are checked through the agents' events and `query()`, never by timing,
 * except for the crash tests' loose hand-over bound.
 */
import * as path from 'node:path';
import { LockManagerAgent as Agent, type Entry } from '../helpers/lock-manager-agent';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-lm-');
/**
 * Crash hand-over bound: the target is 50 ms, tested with 10x headroom, from the kill to the
 * start of the next callback as the agent's clock says (the system-wide monotonic clock).
 */
const CRASH_BOUND_MS = 500;
const msSince = (from: bigint, to: bigint): number => Number(to - from) / 1e6;
/**
 * A waiter's first kernel wait starts a waiter thread (a Worker boot: 100-250 ms on a loaded
 * 2-core machine). The crash tests give it this long to be blocked in the kernel, so their
 * bound measures the hand-over, not the thread start-up.
 */
const WAITER_START_MS = 500;
const waiterStarted = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, WAITER_START_MS));

const registry = (): string => path.join(scratch(), 'ns.locks');
const entry = (name: string, mode: string, clientId: string): Entry => ({ name, mode, clientId });

async function agents(...where: ('process' | 'thread')[]): Promise<Agent[]> {
  return Promise.all(where.map((w, i) => Agent.start(registry(), `${w}-${i}`, w)));
}

/** Gives stray grants a moment to show up before asserting there were none. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

test('FIFO: five processes and threads enqueued in a known order are granted in that order', async () => {
  const [holder, ...waiters] = await agents('process', 'process', 'thread', 'process', 'thread', 'process');
  const h = await holder.request('q');
  await holder.granted(h);
  const ids: number[] = [];
  for (const w of waiters) ids.push(await w.request('q'));
  expect((await holder.query()).pending).toEqual(waiters.map((w) => entry('q', 'exclusive', w.clientId)));
  await holder.release(h);
  for (let i = 0; i < waiters.length; i++) {
    const w = waiters[i];
    await w.granted(ids[i]);
    await settle();
    for (let j = i + 1; j < waiters.length; j++) expect(waiters[j].hasGranted(ids[j])).toBe(false);
    expect((await w.query()).held).toEqual([entry('q', 'exclusive', w.clientId)]);
    await w.release(ids[i]);
    expect(await w.settled(ids[i])).toMatchObject({ ok: true, value: 'done' });
  }
});

test('shared requests at the head are granted together; an exclusive one waits for all of them', async () => {
  const [h, s1, s2, x, s3] = (await agents('process', 'process', 'thread', 'process', 'process')) as [Agent, Agent, Agent, Agent, Agent];
  const hid = await h.request('rw');
  await h.granted(hid);
  const s1id = await s1.request('rw', { mode: 'shared' });
  const s2id = await s2.request('rw', { mode: 'shared' });
  const xid = await x.request('rw');
  const s3id = await s3.request('rw', { mode: 'shared' });
  await h.release(hid);
  expect(await s1.granted(s1id)).toEqual({ name: 'rw', mode: 'shared' });
  expect(await s2.granted(s2id)).toEqual({ name: 'rw', mode: 'shared' });
  const snapshot = await h.query();
  expect(snapshot.held).toEqual([entry('rw', 'shared', s1.clientId), entry('rw', 'shared', s2.clientId)]);
  expect(snapshot.pending).toEqual([entry('rw', 'exclusive', x.clientId), entry('rw', 'shared', s3.clientId)]);
  await s1.release(s1id);
  await settle();
  expect(x.hasGranted(xid)).toBe(false);
  await s2.release(s2id);
  await x.granted(xid);
  await settle();
  expect(s3.hasGranted(s3id)).toBe(false);
  await x.release(xid);
  await s3.granted(s3id);
  await s3.release(s3id);
});

test('ifAvailable: null and nothing queued when another process holds the name; the lock when free', async () => {
  const [h, b] = (await agents('process', 'thread')) as [Agent, Agent];
  const hid = await h.request('a');
  await h.granted(hid);
  const busy = await b.request('a', { ifAvailable: true });
  expect(await b.granted(busy)).toBeNull();
  expect(await h.query()).toEqual({ held: [entry('a', 'exclusive', h.clientId)], pending: [] });
  await b.release(busy, 'no lock');
  expect(await b.settled(busy)).toMatchObject({ ok: true, value: 'no lock' });
  const free = await b.request('b', { ifAvailable: true });
  expect(await b.granted(free)).toEqual({ name: 'b', mode: 'exclusive' });
  await b.release(free);
  await h.release(hid);
});

test('abort before the grant leaves the queue at once (no ghost in query); after the grant it is ignored', async () => {
  const [h, w1, w2] = (await agents('process', 'process', 'thread')) as [Agent, Agent, Agent];
  const hid = await h.request('ab');
  await h.granted(hid);
  const w1id = await w1.request('ab', { abortable: true });
  const w2id = await w2.request('ab', { abortable: true });
  await w1.abort(w1id);
  expect(await w1.settled(w1id)).toMatchObject({ ok: false, error: { name: 'Error', message: 'aborted' } });
  expect(await h.query()).toEqual({ held: [entry('ab', 'exclusive', h.clientId)], pending: [entry('ab', 'exclusive', w2.clientId)] });
  await h.release(hid);
  await w2.granted(w2id);
  await w2.abort(w2id);
  await settle();
  expect(w2.hasSettled(w2id)).toBe(false);
  expect((await h.query()).held).toEqual([entry('ab', 'exclusive', w2.clientId)]);
  await w2.release(w2id, 'kept');
  expect(await w2.settled(w2id)).toMatchObject({ ok: true, value: 'kept' });
  expect(w1.hasGranted(w1id)).toBe(false);
});

test('steal across processes: holders reject with AbortError while their callbacks run; the stealer goes first', async () => {
  const [h1, h2, p, s] = (await agents('process', 'thread', 'process', 'process')) as [Agent, Agent, Agent, Agent];
  const h1id = await h1.request('st', { mode: 'shared' });
  const h2id = await h2.request('st', { mode: 'shared' });
  await h1.granted(h1id);
  await h2.granted(h2id);
  const pid = await p.request('st');
  const sid = await s.request('st', { steal: true });
  await s.granted(sid);
  expect(await h1.settled(h1id)).toMatchObject({ ok: false, error: { name: 'AbortError' } });
  expect(await h2.settled(h2id)).toMatchObject({ ok: false, error: { name: 'AbortError' } });
  expect(await s.query()).toEqual({ held: [entry('st', 'exclusive', s.clientId)], pending: [entry('st', 'exclusive', p.clientId)] });
  await settle();
  expect(p.hasGranted(pid)).toBe(false);
  await s.release(sid);
  // The stolen callbacks are still running (their release is still possible), yet p gets the lock.
  await p.granted(pid);
  await h1.release(h1id);
  await h2.release(h2id);
  await p.release(pid);
  expect(await s.settled(sid)).toMatchObject({ ok: true });
});

test('a holder killed with SIGKILL hands the lock to the next waiter at once', async () => {
  const [h, w] = (await agents('process', 'process')) as [Agent, Agent];
  const hid = await h.request('crash');
  await h.granted(hid);
  const wid = await w.request('crash');
  await waiterStarted();
  const killed = process.hrtime.bigint();
  await h.kill();
  expect(msSince(killed, (await w.grantedAt(wid)).at)).toBeLessThan(CRASH_BOUND_MS);
  expect(await w.query()).toEqual({ held: [entry('crash', 'exclusive', w.clientId)], pending: [] });
  await w.release(wid);
});

test('a queued waiter killed with SIGKILL leaves the queue at once; the one behind it moves up', async () => {
  const [h, dead, w] = (await agents('process', 'process', 'thread')) as [Agent, Agent, Agent];
  const hid = await h.request('line');
  await h.granted(hid);
  await dead.request('line');
  const wid = await w.request('line');
  expect((await h.query()).pending).toEqual([entry('line', 'exclusive', dead.clientId), entry('line', 'exclusive', w.clientId)]);
  await dead.kill();
  await waiterStarted();
  expect(await h.query()).toEqual({ held: [entry('line', 'exclusive', h.clientId)], pending: [entry('line', 'exclusive', w.clientId)] });
  const released = process.hrtime.bigint();
  await h.release(hid);
  expect(msSince(released, (await w.grantedAt(wid)).at)).toBeLessThan(CRASH_BOUND_MS);
  await w.release(wid);
});

test('query() lists every held and pending request of every process and thread, the same from each', async () => {
  const [a, b, c] = (await agents('process', 'thread', 'process')) as [Agent, Agent, Agent];
  const unicode = 'naïve 名前 🔒';
  const a1 = await a.request('n1');
  await a.granted(a1);
  const b1 = await b.request('n2', { mode: 'shared' });
  await b.granted(b1);
  const c1 = await c.request('n2', { mode: 'shared' });
  await c.granted(c1);
  const c2 = await c.request(unicode);
  await c.granted(c2);
  await b.request('n1', { mode: 'shared' });
  await a.request('n2');
  await c.request('n1');
  const expected = {
    held: [entry('n1', 'exclusive', a.clientId), entry('n2', 'shared', b.clientId), entry('n2', 'shared', c.clientId), entry(unicode, 'exclusive', c.clientId)],
    pending: [entry('n1', 'shared', b.clientId), entry('n2', 'exclusive', a.clientId), entry('n1', 'exclusive', c.clientId)],
  };
  for (const agent of [a, b, c]) expect(await agent.query()).toEqual(expected);
});
