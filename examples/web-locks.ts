/**
 * Web Locks across processes: run this in several terminals at once. Each process asks for
 * the lock "report" a few times with `request()`, the way a page would use
 * `navigator.locks`, and shows who holds and who waits (`query()` sees every process). Only
 * one process prints "holding" at any time, and they take turns in the order they asked.
 * Kill one while it holds the lock (Ctrl-C or kill -9): the next one gets it at once.
 *
 *   node test/.build/examples/web-locks.js [--rounds N] [--hold-ms MS] [--path REGISTRY]
 *
 * Without `--path` it uses the default namespace of this user (`locks`).
 */
import { LockManager, locks } from 'locksfile';

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const rounds = Number(arg('rounds') ?? '5');
const holdMs = Number(arg('hold-ms') ?? '1000');
const registry = arg('path');
const manager = registry === undefined ? locks : new LockManager({ path: registry, clientId: `pid ${process.pid}` });

async function main(): Promise<void> {
  for (let i = 1; i <= rounds; i++) {
    await manager.request('report', async (lock) => {
      const { pending } = await manager.query();
      console.log(`[${process.pid}] holding ${lock?.name} at ${Date.now()} (round ${i}/${rounds}, ${pending.length} waiting)`);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      console.log(`[${process.pid}] releasing at ${Date.now()}`);
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
