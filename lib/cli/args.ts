/**
 * The command line grammar, declared with commander (no hand-rolled parsing):
 *
 * ```
 * locksfile [options] FILE -- COMMAND [ARGS...]      locksfile [options] FILE -c 'shell command'
 * locksfile shm [options] NAME -- COMMAND [ARGS...]  locksfile name [options] NAME -- COMMAND [ARGS...]
 * locksfile status [--json] FILE                     locksfile status [--json] --names [--registry PATH]
 * --pg URL (or LOCKSFILE_PG_URL) on the FILE form, `name` and `status --names`: the same on PostgreSQL
 * ```
 *
 * Options may come anywhere before `--`; everything after `--` is the command. A command
 * without options of its own may be given without `--`, as with flock(1).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { Command, CommanderError, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import type { Range } from '../args/spec';
import type { CliMode } from './engine';
import { CliExit, EX } from './exit-codes';

/** Longest wait `-w` accepts: the library's 2^31-1 ms. */
const MAX_TIMEOUT_S = (2 ** 31 - 1) / 1000;

/** How to take the lock and what to do when it is busy. */
export interface LockOptions {
  readonly mode: CliMode;
  /** Milliseconds; 0 tries once (`-n`, `-w 0`); undefined waits without limit. */
  readonly timeoutMs: number | undefined;
  /** Exit status when `-n`/`-w` gave up (`-E`, default 1). */
  readonly conflictExitCode: number;
  readonly verbose: boolean;
}

/** Which lock a run form takes. */
export type Target =
  | { readonly kind: 'file'; readonly path: string; readonly range: Range }
  | { readonly kind: 'pg-space'; readonly url: string; readonly space: string; readonly range: Range }
  | { readonly kind: 'shm'; readonly name: string; readonly dir: string | undefined }
  | { readonly kind: 'name'; readonly name: string; readonly registry: string | undefined }
  | { readonly kind: 'pg-name'; readonly url: string; readonly namespace: string; readonly name: string };

/** What `status` reports on: a lock file's indices, or the names of a LockManager namespace. */
export type StatusOf =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'names'; readonly registry: string | undefined }
  | { readonly kind: 'pg-names'; readonly url: string; readonly namespace: string };

/** What the command line asks for. */
export type Invocation =
  | { readonly kind: 'run'; readonly target: Target; readonly lock: LockOptions; readonly argv: readonly string[] }
  | { readonly kind: 'status'; readonly of: StatusOf; readonly json: boolean }
  /** Help or version was printed; exit with `status`. */
  | { readonly kind: 'done'; readonly status: number };

function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > MAX_TIMEOUT_S) {
    throw new CommanderArgumentError(`expected seconds from 0 to ${MAX_TIMEOUT_S} (fractions allowed)`);
  }
  return n;
}

function integerParser(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new CommanderArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

const parseIndex = integerParser(0, Number.MAX_SAFE_INTEGER - 1);

/** The options `-s -x -n -w -E --verbose` shared by every run form. */
function addLockOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-s, --shared', 'take a shared lock'))
    .addOption(new Option('-x, --exclusive', 'take an exclusive lock (the default)').conflicts('shared'))
    .addOption(new Option('-n, --nonblock', 'fail at once instead of waiting when the lock is busy').conflicts('timeout'))
    .addOption(new Option('-w, --timeout <seconds>', 'fail when the lock is not acquired within this time (0: try once)').argParser(parseSeconds))
    .addOption(new Option('-E, --conflict-exit-code <number>', 'exit status when -n or -w gives up').argParser(integerParser(0, 255)).default(1))
    .option('--verbose', 'tell on stderr whom it waits for and how long it waited')
    .option('-c, --command <command>', 'run this command with the shell ($SHELL, else /bin/sh) instead of COMMAND ARGS')
    .argument('[command...]', 'the command to run while holding the lock (put -- before it when it has options)');
}

interface RawLockOptions {
  shared?: true;
  nonblock?: true;
  timeout?: number;
  conflictExitCode: number;
  verbose?: true;
  command?: string;
}

function lockOptions(raw: RawLockOptions): LockOptions {
  return {
    mode: raw.shared === true ? 'shared' : 'exclusive',
    timeoutMs: raw.nonblock === true ? 0 : raw.timeout === undefined ? undefined : raw.timeout * 1000,
    conflictExitCode: raw.conflictExitCode,
    verbose: raw.verbose === true,
  };
}

/** The command to run: `COMMAND ARGS...`, or `$SHELL -c STRING`; exactly one of them. */
function commandArgv(command: readonly string[], raw: RawLockOptions): readonly string[] {
  if (raw.command !== undefined && command.length > 0) throw new CliExit(EX.USAGE, '-c and COMMAND cannot be used together');
  if (raw.command !== undefined) return [process.env.SHELL || '/bin/sh', '-c', raw.command];
  if (command.length === 0) throw new CliExit(EX.USAGE, 'no command to run (give COMMAND after the lock, or -c)');
  return command;
}

/** `--pg URL`, also taken from `LOCKSFILE_PG_URL`. */
function pgOption(what: string): Option {
  return new Option('--pg <url>', `${what} on this PostgreSQL server (locksfile/postgres; needs the pg package)`).env('LOCKSFILE_PG_URL');
}

/** `--namespace NS` of the PostgreSQL lock manager; only with `--pg`. */
function namespaceOf(raw: { pg?: string; namespace?: string }): string {
  if (raw.namespace !== undefined && raw.pg === undefined) throw new CliExit(EX.USAGE, '--namespace goes with --pg');
  return raw.namespace ?? 'default';
}

function packageVersion(): string {
  const file = nodePath.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * Parses `args` (without `node` and the script). Returns what to do; throws {@link CliExit}
 * with status 64 for any usage error (commander has printed it on stderr by then, except for
 * the errors raised here, whose message the caller prints).
 */
export function parseArgs(args: readonly string[]): Invocation {
  let result: Invocation | undefined;
  const program = new Command('locksfile')
    .description(
      'Run a command while holding a lock: a range of a lock file (OFD byte-range locks), a shmlock-compatible name, or a LockManager (Web Locks) name.',
    )
    .version(packageVersion())
    .usage('[options] FILE [--] COMMAND [ARGS...]  |  [options] FILE -c COMMAND  |  shm ...  |  name ...  |  status ...')
    .enablePositionalOptions()
    .showHelpAfterError('(locksfile --help for usage)')
    .exitOverride()
    .argument('<file>', 'the lock file (created if missing, never written)')
    .addOption(new Option('-i, --index <n>', 'lock index n (byte n of FILE); default 0').argParser(parseIndex).conflicts(['start', 'length']))
    .addOption(new Option('--start <n>', 'first lock index of a range').argParser(parseIndex))
    .addOption(new Option('--length <n>', 'number of lock indices of the range (default 1)').argParser(integerParser(1, Number.MAX_SAFE_INTEGER)))
    .addOption(pgOption('lock the indices of the PgLocksFile space named FILE'));
  addLockOptions(program).action((file: string, command: string[], raw: RawLockOptions & { index?: number; start?: number; length?: number; pg?: string }) => {
    const start = raw.index ?? raw.start ?? 0;
    const count = raw.length ?? 1;
    if (start + count > Number.MAX_SAFE_INTEGER) throw new CliExit(EX.USAGE, '--start + --length is past 2^53-1');
    const range = { start, count };
    const target: Target = raw.pg === undefined ? { kind: 'file', path: file, range } : { kind: 'pg-space', url: raw.pg, space: file, range };
    result = { kind: 'run', target, lock: lockOptions(raw), argv: commandArgv(command, raw) };
  });

  const shm = program
    .command('shm')
    .description('Run a command while holding a ShmLock (a named mutex compatible with Python shmlock).')
    .argument('<name>', 'the lock name (a file name in /dev/shm)')
    .option('--dir <dir>', 'directory of the lock files (default /dev/shm)');
  addLockOptions(shm).action((name: string, command: string[], raw: RawLockOptions & { dir?: string }) => {
    if (raw.shared === true) throw new CliExit(EX.USAGE, 'a ShmLock is a mutex: -s/--shared is not available with shm');
    result = { kind: 'run', target: { kind: 'shm', name, dir: raw.dir }, lock: lockOptions(raw), argv: commandArgv(command, raw) };
  });

  const name = program
    .command('name')
    .description('Run a command while holding a named lock of a LockManager namespace (Web Locks: shared or exclusive).')
    .argument('<name>', 'the lock name')
    .option('--registry <path>', 'registry file of the namespace (default: the per-user one, see LockManager)')
    .addOption(pgOption('request the name from a PgLockManager').conflicts('registry'))
    .option('--namespace <ns>', "with --pg: the PgLockManager namespace (default 'default')");
  addLockOptions(name).action((lockName: string, command: string[], raw: RawLockOptions & { registry?: string; pg?: string; namespace?: string }) => {
    const namespace = namespaceOf(raw);
    const target: Target =
      raw.pg === undefined ? { kind: 'name', name: lockName, registry: raw.registry } : { kind: 'pg-name', url: raw.pg, namespace, name: lockName };
    result = { kind: 'run', target, lock: lockOptions(raw), argv: commandArgv(command, raw) };
  });

  program
    .command('status')
    .description('Show who holds and who waits: for the indices of a lock file, or for the names of a LockManager namespace.')
    .argument('[file]', 'the lock file')
    .option('--names', 'the names of a LockManager namespace instead of a lock file')
    .option('--registry <path>', 'with --names: registry file of the namespace (default: the per-user one)')
    .addOption(pgOption('with --names: the names of a PgLockManager namespace').conflicts('registry'))
    .option('--namespace <ns>', "with --pg: the PgLockManager namespace (default 'default')")
    .option('--json', 'print JSON instead of a table')
    .action((file: string | undefined, raw: { json?: true; names?: true; registry?: string; pg?: string; namespace?: string }) => {
      if ((file === undefined) === (raw.names === undefined)) throw new CliExit(EX.USAGE, 'status takes either FILE or --names');
      if (raw.registry !== undefined && raw.names === undefined) throw new CliExit(EX.USAGE, '--registry goes with --names');
      const namespace = namespaceOf(raw);
      if (raw.pg !== undefined && file !== undefined) {
        throw new CliExit(
          EX.USAGE,
          'with --pg (or LOCKSFILE_PG_URL) status shows the names of a PgLockManager namespace (--names); a PgLocksFile space has no status view',
        );
      }
      const of: StatusOf =
        file !== undefined
          ? { kind: 'file', path: file }
          : raw.pg === undefined
            ? { kind: 'names', registry: raw.registry }
            : { kind: 'pg-names', url: raw.pg, namespace };
      result = { kind: 'status', of, json: raw.json === true };
    });

  try {
    program.parse([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return { kind: 'done', status: 0 };
      throw new CliExit(EX.USAGE, '');
    }
    throw err;
  }
  if (result === undefined) throw new CliExit(EX.SOFTWARE, 'no action ran');
  return result;
}
