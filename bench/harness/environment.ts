/**
 * A description of the machine and tool versions, recorded with every result.
 *
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';

/** Machine and versions. */
export interface Environment {
  readonly node: string;
  readonly python: string;
  readonly kernel: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** Filesystem type (`stat -f -c %T`) of each place locks live: the run's scratch directory and /dev/shm. */
  readonly lockFs: { readonly scratch: string; readonly shm: string };
  /** 1-minute load average when the run started and when it ended (other work skews figures). */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** The filesystem type of `dir` as `stat -f -c %T` names it (e.g. `tmpfs`, `ext2/ext3`). */
export function fsType(dir: string): string {
  const r = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/**
 * Reads the current environment; `loadAtStart` is `os.loadavg()[0]` taken when the run began,
 * `lockFs` the filesystem types measured while the scratch directory existed.
 */
export function environment(loadAtStart: number, lockFs: Environment['lockFs']): Environment {
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const cpus = os.cpus();
  return {
    node: process.version,
    python: py.status === 0 ? (py.stdout || py.stderr).trim() : 'not available',
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    lockFs,
    loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
  };
}
