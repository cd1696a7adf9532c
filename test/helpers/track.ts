/**
 * Looking at a promise without awaiting it: a test can check that a request is still
 * pending, then settle the question later.
 */

/** A promise's state as it settles, and a `done` promise that never rejects. */
export interface Tracked<T> {
  readonly state: () => 'pending' | 'resolved' | 'rejected';
  readonly value: () => T | undefined;
  readonly error: () => unknown;
  readonly done: Promise<void>;
}

/** Settles `p` into a tagged result, so a test can look at it without awaiting forever. */
export function track<T>(p: Promise<T>): Tracked<T> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let value: T | undefined;
  let error: unknown;
  const done = p.then(
    (v) => {
      state = 'resolved';
      value = v;
    },
    (e: unknown) => {
      state = 'rejected';
      error = e;
    },
  );
  return { state: () => state, value: () => value, error: () => error, done };
}
