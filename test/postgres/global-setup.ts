/**
 * Jest global setup: starts the throwaway PostgreSQL cluster every test under
 * test/postgres/ uses and hands its URL over in LOCKSFILE_PG_URL (test workers inherit the
 * environment). Throws when the server cannot start, which fails the run.
 */
import { PG_URL_ENV, type PgServer, startPgServer } from '../helpers/pg-server';

declare global {
  // Read by global-teardown.ts (same process).
  var locksfilePgServer: PgServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const server = await startPgServer();
  globalThis.locksfilePgServer = server;
  process.env[PG_URL_ENV] = server.url;
}
