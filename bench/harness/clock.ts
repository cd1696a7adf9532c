/**
 * Time helpers on the system-wide monotonic clock. `process.hrtime.bigint()` reads
 * CLOCK_MONOTONIC, the same clock as Python's `time.monotonic_ns()`, so timestamps taken in
 * different processes (Node or Python) are directly comparable.
 *
 * @packageDocumentation
 */

import { sleepSync } from '../../test/helpers/sleep';

export { sleepSync };

/** Monotonic time in nanoseconds (system-wide clock). */
export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Microseconds elapsed between two `nowNs()` readings. */
export function usBetween(from: bigint, to: bigint): number {
  return Number(to - from) / 1e3;
}

/** Busy-waits `us` microseconds (a stand-in for work done while holding a lock). */
export function spinUs(us: number): void {
  if (us <= 0) return;
  const end = nowNs() + BigInt(Math.round(us * 1e3));
  while (nowNs() < end) {
    /* spin */
  }
}

/** Blocks until the monotonic clock reaches `atNs`: sleeps most of the way, spins the last 0.5 ms. */
export function waitUntilNs(atNs: bigint): void {
  const remainingMs = Number(atNs - nowNs()) / 1e6;
  if (remainingMs > 1) sleepSync(remainingMs - 0.5);
  while (nowNs() < atNs) {
    /* spin */
  }
}
