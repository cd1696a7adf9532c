/**
 * Runs the user's command as a child process with the tool's stdin, stdout and stderr, and
 * resolves the status a shell would report for it: its exit code, or 128 + n when signal n
 * ended it.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { CliExit, EX, signalStatus } from './exit-codes';
import type { SignalRouter } from './signals';

/**
 * Starts `argv` (looked up in `PATH`), forwards caught signals to it through `router`, and
 * resolves its status once it exited. Rejects with a {@link CliExit} (69, or 71 when the
 * system is out of resources) when it cannot be started, as flock(1) does.
 */
export function runCommand(argv: readonly string[], router: SignalRouter): Promise<number> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    router.forwardTo(child);
    child.once('error', (err: NodeJS.ErrnoException) => {
      const status = err.code === 'ENOMEM' || err.code === 'EAGAIN' ? EX.OSERR : EX.UNAVAILABLE;
      reject(new CliExit(status, `failed to execute ${file}: ${err.message}`));
    });
    child.once('exit', (code, signal) => resolve(code ?? signalStatus(signal as NodeJS.Signals)));
  });
}
