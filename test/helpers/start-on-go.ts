/**
 * The start protocol of racing fixtures: print "ready", wait for one stdin line ("go"), then
 * run; exit 0 when the run resolves, 1 (with the stack on stderr) when it rejects. The parent
 * starts every racer only once all are ready, so they really run at the same time.
 */
import * as readline from 'node:readline';

/** Runs `run` once the parent sends a line; see the module documentation. */
export function startOnGo(run: () => Promise<void>): void {
  const rl = readline.createInterface({ input: process.stdin });
  rl.once('line', () => {
    rl.close();
    run().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
      },
    );
  });
  process.stdout.write('ready\n');
}
