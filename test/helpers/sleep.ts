/**
 * The one blocking sleep for tests, fixtures and the benchmark: `Atomics.wait` on a private
 * cell parks the calling thread (main or worker) without running its event loop.
 *
 * @packageDocumentation
 */

const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` milliseconds (no-op when `ms <= 0`). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}
