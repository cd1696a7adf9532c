/**
 * A minimal leveled logger, the shape `LocksFile` and `ShmLock` accept as `options.logger`.
 * Any object with these four methods works (console, pino, winston child loggers...).
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from './errors/errors';
import { toChoice, toString } from './args/spec';

/** What the library logs through. */
export interface Logger {
  /** Every acquire and release (`verbose`), waits, broken stale locks. */
  debug(message: string): void;
  /** Not called by the library today; part of the shape so that common loggers fit as they are. */
  info(message: string): void;
  /** A weaker guarantee than expected: the POSIX backend, a ShmLock collected while held, a lock file replaced under its holder. */
  warn(message: string): void;
  /** A failure the library handled but could not report through a call (e.g. in an exit hook). */
  error(message: string): void;
}

/** Levels of {@link createLogger}, from most to least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/**
 * A logger writing `<ISO time> <LEVEL> <name> [pid]: message` lines to stderr, dropping
 * messages below `level` (default `'info'`; `'silent'` drops everything).
 */
export function createLogger(name: string, level: LogLevel = 'info'): Logger {
  const label = toString(name, 'name');
  const threshold = LEVELS.indexOf(toChoice(level, 'level', LEVELS, 'info'));
  const write =
    (at: LogLevel) =>
    (message: string): void => {
      if (LEVELS.indexOf(at) < threshold) return;
      process.stderr.write(`${new Date().toISOString()} ${at.toUpperCase()} ${label} [${process.pid}]: ${message}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** Validates `options.logger`: undefined or an object with the four methods. */
export function toLogger(value: unknown, argument: string): Logger | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<Record<keyof Logger, unknown>>;
  if (typeof value !== 'object' || value === null || (['debug', 'info', 'warn', 'error'] as const).some((m) => typeof candidate[m] !== 'function')) {
    throw new InvalidArgumentError('ERR_INVALID_ARG_TYPE', argument, 'expected an object with debug, info, warn and error methods');
  }
  return value as Logger;
}
