/** Jest global teardown: stops the cluster of global-setup.ts and removes its directory. */
export default async function globalTeardown(): Promise<void> {
  globalThis.locksfilePgServer?.stop();
}
