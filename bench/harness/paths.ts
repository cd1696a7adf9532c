/**
 * Paths: the repository root, the scratch directory of a run and shared-memory lock names.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Prefix of every /dev/shm name and scratch directory this benchmark creates. */
export const PREFIX = 'lfbench-';

/** The repository root (the directory whose package.json names `locksfile`). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      const parsed: unknown = JSON.parse(fs.readFileSync(pkg, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === 'locksfile') return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no locksfile package.json above ${__dirname}`);
    dir = up;
  }
}

/** Creates the scratch directory of a run under the OS temp directory. */
export function makeRunDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
}

/**
 * The shared-memory name used for a named-lock implementation at `lockPath` (a file path inside
 * the run's scratch directory): unique per run and per case, the same in every process.
 */
export function shmNameFor(lockPath: string): string {
  const run = path.basename(path.dirname(lockPath));
  return `${run}-${path.basename(lockPath)}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Removes the /dev/shm entries of the run whose scratch directory is `runDir`. */
export function removeShmEntries(runDir: string): void {
  const prefix = `${path.basename(runDir)}-`;
  let names: string[] = [];
  try {
    names = fs.readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix)) fs.rmSync(path.join('/dev/shm', n), { force: true });
}
