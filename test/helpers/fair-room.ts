/**
 * Jest setup for the fair-queue order tests: a fresh {@link FairRoom} per test. Apart from
 * fair-owners.ts because it needs jest's hooks, and that module is also loaded by fixtures.
 */
import { afterEach, beforeEach } from '@jest/globals';
import { FairRoom } from './fair-owners';
import { useScratchDir } from './scratch';

/** A fresh {@link FairRoom} in the test's scratch directory for every test, closed after it; call the getter inside a test. */
export function useFairRoom(): () => FairRoom {
  const scratch = useScratchDir();
  let room: FairRoom | undefined;
  beforeEach(() => {
    room = new FairRoom(scratch());
  });
  afterEach(() => room?.close());
  return () => {
    if (room === undefined) throw new Error('useFairRoom(): the room exists only inside a test');
    return room;
  };
}
