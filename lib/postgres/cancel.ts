/**
 * A lock statement that can be stopped while the server waits: node-postgres cannot cancel a
 * running query through an AbortSignal, so a side session sends `pg_cancel_backend(pid)`.
 * The session is not used again before both the statement and the cancel call have
 * finished, so a late cancel can never hit the next statement (a cancel that reaches an idle
 * backend is ignored by the server).
 *
 * @packageDocumentation
 */
import type { QueryResult } from 'pg';
import type { Session } from './session';

/** How a cancellable statement ended. */
export type Outcome = { readonly ok: true; readonly results: QueryResult[] } | { readonly ok: false; readonly error: unknown };

/** The SQLSTATE of a statement stopped by `pg_cancel_backend` (query_canceled). */
export const QUERY_CANCELED = '57014';

/**
 * Runs `sql` on `session`; when `stop` resolves first, cancels it from `side()`. Resolves
 * (never rejects) once the statement settled and any cancel was delivered. The caller looks
 * at the outcome: a grant that won the race against the cancel is `ok`, and is the caller's
 * to give back.
 */
export async function runStoppable(session: Session, sql: string, stop: Promise<unknown>, side: () => Promise<Session>): Promise<Outcome> {
  let finished = false;
  const statement = session.run(sql).then(
    (results): Outcome => ({ ok: true, results }),
    (error: unknown): Outcome => ({ ok: false, error }),
  );
  void statement.then(() => (finished = true));
  let cancelling: Promise<unknown> = Promise.resolve();
  await Promise.race([
    statement,
    stop.then(() => {
      if (finished) return;
      cancelling = side()
        .then((s) => s.run(`SELECT pg_cancel_backend(${session.pid})`))
        .catch(() => undefined);
    }),
  ]);
  const outcome = await statement;
  await cancelling;
  return outcome;
}
