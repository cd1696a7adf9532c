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
  /** 1-minute load average when the run started and when it ended (other work skews figures). */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** Reads the current environment; `loadAtStart` is `os.loadavg()[0]` taken when the run began. */
export function environment(loadAtStart: number): Environment {
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const cpus = os.cpus();
  return {
    node: process.version,
    python: py.status === 0 ? (py.stdout || py.stderr).trim() : 'not available',
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
  };
}
