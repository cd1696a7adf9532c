/**
 * The `locksfile` command in child processes, and a Python `fcntl.lockf` holder as the other
 * party, for the CLI tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Exit, LineChild, spawnPython } from './children';
import { ROOT } from './paths';

/** The compiled entry point, run as `node dist/cli.js` (what the `bin` entry points at). */
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/**
 * The environment of the CLI children: the test's own without `LOCKSFILE_PG_URL` (which the
 * jest global setup of the PostgreSQL tests sets, and which would turn every FILE and `name`
 * form into a PostgreSQL one), plus `extra`.
 */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (extra.LOCKSFILE_PG_URL === undefined) delete env.LOCKSFILE_PG_URL;
  return env;
}

/** Starts `locksfile ARGS...`; stdin, stdout and stderr are pipes to the test. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): LineChild {
  return new LineChild(process.execPath, [CLI, ...args], { env: cliEnv(env) });
}

/** What a finished `locksfile` run gave. */
export interface CliResult extends Exit {
  readonly stdout: string[];
  readonly stderr: string;
}

/** Runs `locksfile ARGS...` to its end (stdin closed at once). */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = startCli(args, env);
  child.endInput();
  const exit = await child.waitExit();
  return { ...exit, stdout: [...child.pending], stderr: child.stderr };
}

/** Holds `fcntl.lockf(fd, LOCK_EX|LOCK_SH, count, start)` on `file`; prints "locked", exits on EOF. */
const PYTHON_HOLDER = String.raw`
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666)
fcntl.lockf(fd, fcntl.LOCK_EX if sys.argv[4] == "write" else fcntl.LOCK_SH, int(sys.argv[3]), int(sys.argv[2]))
print("locked", flush=True)
sys.stdin.read()
`;

/** A python3 process taking (blocking) a POSIX record lock on indices [start, start + count) of `file`. */
export function pythonLocker(file: string, start: number, count: number, mode: 'write' | 'read'): LineChild {
  return spawnPython(PYTHON_HOLDER, [file, String(start), String(count), mode]);
}

/** {@link pythonLocker}, resolved once the lock is held. */
export async function pythonHolder(file: string, start: number, count: number, mode: 'write' | 'read'): Promise<LineChild> {
  const child = pythonLocker(file, start, count, mode);
  await child.takeLine((l) => l === 'locked');
  return child;
}

/** Waits until `child` wrote `text` on stderr (a hang guard of `timeoutMs`). */
export async function stderrShows(child: LineChild, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.stderr.includes(text)) {
    if (child.done) throw new Error(`locksfile ${child.pid} exited before writing ${JSON.stringify(text)}; stderr:\n${child.stderr}`);
    if (Date.now() > deadline) throw new Error(`locksfile ${child.pid} did not write ${JSON.stringify(text)} within ${timeoutMs} ms; stderr:\n${child.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The exclusion proof: `workers` shell loops race, each running `locksfile LOCKARGS... -- sh
 * step.sh counter` `rounds` times, where step.sh reads the counter file, sleeps 20 ms and
 * writes it back plus one (so any overlap loses an increment). Resolves every loop's exit
 * code and the final count; without exclusion the count comes out short.
 */
export async function raceCounter(
  dir: string,
  lockArgs: readonly string[],
  env: NodeJS.ProcessEnv = {},
  workers = 4,
  rounds = 5,
): Promise<{ codes: (number | null)[]; count: number }> {
  const counter = path.join(dir, 'counter');
  fs.writeFileSync(counter, '0');
  const step = path.join(dir, 'step.sh');
  fs.writeFileSync(step, 'n=$(cat "$1"); sleep 0.02; echo $((n + 1)) > "$1"\n');
  const loop = 'rounds=$1; shift; for i in $(seq "$rounds"); do "$@" || exit 1; done';
  const args = ['-c', loop, 'sh', String(rounds), process.execPath, CLI, ...lockArgs, '--', 'sh', step, counter];
  const loops = Array.from({ length: workers }, () => new LineChild('sh', args, { env: cliEnv(env) }));
  for (const l of loops) l.endInput();
  const exits = await Promise.all(loops.map((l) => l.waitExit(60_000)));
  return { codes: exits.map((e) => e.code), count: Number(fs.readFileSync(counter, 'utf8')) };
}
