/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` into a fresh temp
 * directory, `pg_ctl start` on a free loopback port (127.0.0.1 only, Unix socket in the same
 * directory), the default lock settings stated explicitly (max_connections 100,
 * max_locks_per_transaction 64: a shared lock table of about 6,400 entries), and
 * `stop()` that removes everything. The binaries come from `pg_config --bindir`; when
 * PostgreSQL is missing and we are root, `apt-get install -y postgresql` is run first. As
 * root, every server command runs as the `postgres` user (initdb refuses root). Any failure
 * throws: a test run without its server must fail, never skip.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Environment variable through which the jest global setup hands the URL to the tests. */
export const PG_URL_ENV = 'LOCKSFILE_PG_URL';

/** Optional parent directory for the clusters (default `os.tmpdir()`); `.ci/run` sets it to sweep leftovers. */
export const PG_TMPDIR_ENV = 'LOCKSFILE_PG_TMPDIR';

/** A running cluster. */
export interface PgServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** `pg_ctl restart` (fast shutdown: every session is terminated). */
  restart(): void;
  /** Stops the server (immediate) and removes its directory. Idempotent. */
  stop(): void;
}

const isRoot = process.getuid?.() === 0;

function binDir(): string {
  const ask = (): string => execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  try {
    return ask();
  } catch {
    if (!isRoot) throw new Error('PostgreSQL is not installed (no pg_config on PATH); install the postgresql package');
    execFileSync('apt-get', ['update'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', 'postgresql'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return ask();
  }
}

/** Runs a server binary, as `postgres` when we are root. */
function runServerCommand(bin: string, args: readonly string[]): void {
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, [...args]];
  try {
    execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a fresh cluster; throws with the server log when it cannot start. */
export async function startPgServer(): Promise<PgServer> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(process.env[PG_TMPDIR_ENV] ?? os.tmpdir(), 'locksfile-pg-'));
  fs.chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const stop = (): void => {
    if (fs.existsSync(path.join(dataDir, 'postmaster.pid'))) {
      try {
        runServerCommand(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already gone: nothing to stop.
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    runServerCommand(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=100 -c max_locks_per_transaction=64`;
    const ctl = (action: string, extra: readonly string[] = []): void =>
      runServerCommand(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '30', ...extra, action]);
    try {
      ctl('start');
    } catch (err) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      throw new Error(`${(err as Error).message}\nserver log:\n${log}`);
    }
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      restart: () => ctl('restart', ['-m', 'fast']),
      stop,
    };
  } catch (err) {
    stop();
    throw err;
  }
}
