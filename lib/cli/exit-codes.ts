/**
 * Exit statuses of the `locksfile` command, following util-linux flock(1): `<sysexits.h>`
 * values for everything except a lock not acquired under `-n`/`-w` (the conflict code, 1 by
 * default), the command's own status when it ran, and 128 + n when a signal ended the wait
 * or the command.
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import { InvalidArgumentError, LockPathError, LockSystemError, UnsupportedPlatformError } from '../errors/errors';

/** sysexits.h codes the tool uses. */
export const EX = {
  /** Bad options or arguments. */
  USAGE: 64,
  /** The lock file cannot be opened (missing directory, not a regular file, no permission). */
  NOINPUT: 66,
  /** The command cannot be executed, or the platform has no usable locks. */
  UNAVAILABLE: 69,
  /** A bug in the tool itself. */
  SOFTWARE: 70,
  /** A system call failed (`ENOLCK`, `EMFILE`, out of memory...). */
  OSERR: 71,
} as const;

/** A failure that ends the tool with `status` after printing `message` on stderr. */
export class CliExit extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** 128 + the signal's number, the status a shell reports for a process killed by `signal`. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + os.constants.signals[signal];
}

/** The exit status for an error thrown while parsing, opening or acquiring a lock. */
export function errorStatus(err: unknown): number {
  if (err instanceof CliExit) return err.status;
  if (err instanceof InvalidArgumentError) return EX.USAGE;
  if (err instanceof LockPathError) return EX.NOINPUT;
  if (err instanceof UnsupportedPlatformError) return EX.UNAVAILABLE;
  if (err instanceof LockSystemError) return EX.OSERR;
  return EX.SOFTWARE;
}
