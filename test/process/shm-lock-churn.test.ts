/**
 * An async acquire never monopolizes the event loop: while another process churns the lock's
 * file (a dead holder's file that reappears the instant it is broken), the acquire loop backs
 * off instead of retrying synchronously, timers keep firing and the timeout is kept. The
 * bounds are loose (hang guards, not timing claims).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { ShmLock } from 'locksfile';
import { LineChild } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

/**
 * Longest tolerated gap between two ticks of a 10 ms interval: a hang guard only, since a
 * loaded machine alone can stall a process for hundreds of ms. The retries per turn below
 * are the exact measure of whether the loop yields.
 */
const MAX_GAP_MS = 1500;
const RUN_MS = 1000;
const TIMEOUT_MS = 100;
/** Retries without yielding to the event loop in a row: the immediate one after a change, and one more. */
const MAX_RETRIES_PER_TURN = 2;

const scratch = useScratchDir('shm-churn-');

test('acquires under churn keep the event loop responsive', async () => {
  const name = `lock-${randomUUID()}`;
  const churn = new LineChild(process.execPath, [fixture('shm-churn'), path.join(scratch(), name)]);
  expect(await churn.takeLine()).toBe('ready');
  // Retries the lock reports (breaking the churned file, or finding the name changed) per
  // turn of the event loop: a loop that yields makes a few, one that spins makes hundreds.
  let retries = 0;
  let maxRetriesPerTurn = 0;
  const quiet = (): void => undefined;
  const debug = (message: string): void => {
    if (/removed the lock file of a dead holder|name changed/.test(message)) maxRetriesPerTurn = Math.max(maxRetriesPerTurn, ++retries);
  };
  // A turn of the event loop shows as the check phase (setImmediate) or the timers phase: the
  // acquire's back-off is a timer, which can fire in the timers phase before the next check
  // phase, so counting only check phases would add the retries of two turns together.
  let turning = true;
  const turn = (): void => {
    retries = 0;
    if (turning) setImmediate(turn);
  };
  const timerTurn = (): void => {
    retries = 0;
    if (turning) setTimeout(timerTurn, 0);
  };
  turn();
  timerTurn();
  const lock = new ShmLock(name, { dir: scratch(), logger: { debug, info: quiet, warn: quiet, error: quiet } });
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks += 1;
  }, 10);
  let acquired = 0;
  let attempts = 0;
  let longest = 0;
  const end = performance.now() + RUN_MS;
  try {
    while (performance.now() < end) {
      attempts += 1;
      const started = performance.now();
      if (await lock.acquire(TIMEOUT_MS)) {
        acquired += 1;
        lock.release();
      }
      longest = Math.max(longest, performance.now() - started);
      // A macrotask between attempts: only the acquire itself is measured.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    clearInterval(interval);
    turning = false;
    churn.endInput();
    lock.close();
  }
  process.stdout.write(
    `churn: ${attempts} attempts, ${acquired} acquired, longest ${longest.toFixed(1)} ms, max gap ${maxGap.toFixed(1)} ms, ${ticks} ticks, at most ${maxRetriesPerTurn} retries per turn\n`,
  );
  expect(maxRetriesPerTurn).toBeLessThanOrEqual(MAX_RETRIES_PER_TURN);
  expect(attempts).toBeGreaterThan(0);
  expect(maxGap).toBeLessThan(MAX_GAP_MS);
  expect(longest).toBeLessThan(TIMEOUT_MS * 10);
  expect(await churn.waitExit()).toMatchObject({ code: 0 });
});
