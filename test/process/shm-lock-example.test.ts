/**
 * `examples/named-lock.ts` runs in a real process and prints what the ShmLock vocabulary
 * promises: busy and timeout as typed errors, `withLock` releasing, the shmlock aliases.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';

test('examples/named-lock: typed errors, withLock, shmlock aliases', () => {
  const script = path.join(__dirname, '..', '.build', 'examples', 'named-lock.js');
  const out = execFileSync(process.execPath, [script, `locksfile-example-${randomUUID()}`], { encoding: 'utf8', timeout: 30_000 }).split('\n');
  expect(out[0]).toBe('bob, not waiting: ERR_LOCK_BUSY');
  expect(out[1]).toBe('bob, waiting 30 ms: ERR_LOCK_TIMEOUT');
  expect(out[2]).toBe("bob's withLock returned 42; bob holds it now: false");
  expect(out[3]).toMatch(/^alice acquired through the shmlock alias; holder uuid [0-9a-f-]{36}$/);
  expect(out[4]).toBe('alice released: true');
});
