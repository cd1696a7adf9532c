/**
 * Run this in several terminals at once: each process takes the write lock on index 0,
 * "works" while holding it, releases it, and repeats. Only one process prints "holding"
 * at any time; the others wait in the kernel's queue and get it as soon as it is released.
 * Kill one while it holds the lock (Ctrl-C or kill -9): the next one gets it at once.
 *
 *   node test/.build/examples/terminals.js [--rounds N] [--hold-ms MS] [--lock PATH]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

const rounds = Number(arg('rounds', '5'));
const holdMs = Number(arg('hold-ms', '1000'));
const lockPath = arg('lock', path.join(os.tmpdir(), 'locksfile-terminals.lock'));

async function main(): Promise<void> {
  using lf = new LocksFile(lockPath);
  for (let i = 1; i <= rounds; i++) {
    const holder = lf.probe(0, { write: true });
    if (holder !== null) console.log(`[${process.pid}] waiting (lock 0 is held by another process)`);
    await lf.withLock(0, { write: true }, async () => {
      console.log(`[${process.pid}] holding lock 0 (round ${i}/${rounds})`);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    });
    console.log(`[${process.pid}] released lock 0`);
    await new Promise((resolve) => setTimeout(resolve, 10)); // give the others a turn
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
