/**
 * A ShmLock holder SIGKILLed at each step of the acquire protocol: whatever it leaves behind,
 * the next ShmLock acquire recovers the name (the chaos test hits these windows at random;
 * here each one is reproduced deterministically).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShmLock } from 'locksfile';
import { spawnNode } from '../helpers/children';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-rel-');

test.each([
  ['holding the lock', 'held'],
  ['right after its exclusive create (before its kernel lock)', 'create'],
  ['after its kernel lock, before writing its uuid', 'create-lock'],
])('a holder SIGKILLed %s: the next acquire (sync and async) gets the lock', async (_when, step) => {
  const child = spawnNode(fixture('rel-shm-step'), [step, scratch(), 'victim']);
  expect(await child.takeLine()).toBe('ready');
  child.kill('SIGKILL');
  await child.waitExit();
  expect(fs.existsSync(path.join(scratch(), 'victim'))).toBe(true);
  const next = new ShmLock('victim', { dir: scratch(), pollInterval: 20 });
  const t0 = performance.now();
  const got = await next.acquire(3000);
  const ms = performance.now() - t0;
  expect({ got, file: fs.existsSync(path.join(scratch(), 'victim')) }).toEqual({ got: true, file: true });
  expect(ms).toBeLessThan(2500);
  next.release();
  expect(next.acquireSync(2000)).toBe(true);
  next.release();
  expect(fs.existsSync(path.join(scratch(), 'victim'))).toBe(false);
});
